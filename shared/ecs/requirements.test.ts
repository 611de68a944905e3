import type { TaskDefinition, TaskOverride } from '@aws-sdk/client-ecs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  capacityFor,
  fits,
  type ResourceShape,
  type Resources,
  release,
  shapeKey,
  shortfall,
  subtract,
  taskRequirements,
} from './requirements';

// Task definitions of the sample universe, typed as the SDK returns them.
const api3: TaskDefinition = {
  family: 'api',
  revision: 3,
  networkMode: 'bridge',
  containerDefinitions: [
    {
      name: 'api',
      image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1.4.2',
      cpu: 512,
      memoryReservation: 1024,
      portMappings: [{ containerPort: 8080, hostPort: 0, protocol: 'tcp' }],
    },
  ],
};
const worker5: TaskDefinition = {
  family: 'worker',
  revision: 5,
  networkMode: 'awsvpc',
  cpu: '1024',
  memory: '2048',
  containerDefinitions: [{ name: 'worker', cpu: 0, memory: 2048 }],
};
const logRouter2: TaskDefinition = {
  family: 'log-router',
  revision: 2,
  containerDefinitions: [{ name: 'fluent-bit', cpu: 128, memory: 256 }],
};

const m5large = (): Resources => ({
  cpu: 2048,
  memoryMiB: 7680,
  gpus: 0,
  ports: { tcp: [22, 2375, 2376, 51678, 51679], udp: [] },
  enis: 2,
});

describe('taskRequirements', () => {
  it('sums container cpu and memoryReservation; a dynamic host port takes no port', () => {
    expect(taskRequirements(api3)).toEqual({
      cpu: 512,
      memoryMiB: 1024,
      gpus: 0,
      hostPorts: { tcp: [], udp: [] },
      enis: 0,
    });
  });

  it('uses task-level cpu and memory when set, and one ENI for awsvpc', () => {
    expect(taskRequirements(worker5)).toEqual({
      cpu: 1024,
      memoryMiB: 2048,
      gpus: 0,
      hostPorts: { tcp: [], udp: [] },
      enis: 1,
    });
  });

  it('falls back to container memory when there is no reservation, and defaults to bridge', () => {
    expect(taskRequirements(logRouter2)).toMatchObject({ cpu: 128, memoryMiB: 256, enis: 0 });
  });

  it('reads task-level sizes written as vCPU and GB', () => {
    expect(taskRequirements({ cpu: '0.5 vCPU', memory: '1 GB', containerDefinitions: [] })).toMatchObject({
      cpu: 512,
      memoryMiB: 1024,
    });
  });

  it('prefers memoryReservation over memory per container', () => {
    const shape = taskRequirements({
      containerDefinitions: [
        { name: 'a', memory: 1024, memoryReservation: 256 },
        { name: 'b', memory: 512 },
        { name: 'c' },
      ],
    });
    expect(shape.memoryMiB).toBe(768);
  });

  it('applies task-level overrides over the definition', () => {
    const overrides: TaskOverride = { cpu: '2048', memory: '4 GB' };
    expect(taskRequirements(worker5, overrides)).toMatchObject({ cpu: 2048, memoryMiB: 4096 });
  });

  it('applies container overrides by name, field by field', () => {
    const overrides: TaskOverride = {
      containerOverrides: [
        { name: 'api', cpu: 1024 },
        { name: 'not-there', cpu: 9999, memoryReservation: 9999 },
      ],
    };
    expect(taskRequirements(api3, overrides)).toMatchObject({ cpu: 1024, memoryMiB: 1024 });
    expect(
      taskRequirements(api3, { containerOverrides: [{ name: 'api', memoryReservation: 2048 }] }),
    ).toMatchObject({
      cpu: 512,
      memoryMiB: 2048,
    });
  });

  it('ignores container overrides when the task has task-level sizes', () => {
    expect(
      taskRequirements(worker5, { containerOverrides: [{ name: 'worker', cpu: 4096, memory: 8192 }] }),
    ).toMatchObject({
      cpu: 1024,
      memoryMiB: 2048,
    });
  });

  it('counts GPUs from resource requirements, replaced by an override', () => {
    const gpuTask: TaskDefinition = {
      containerDefinitions: [
        { name: 'train', memory: 1024, resourceRequirements: [{ type: 'GPU', value: '2' }] },
        { name: 'side', memory: 64, resourceRequirements: [{ type: 'InferenceAccelerator', value: 'dev1' }] },
      ],
    };
    expect(taskRequirements(gpuTask).gpus).toBe(2);
    expect(
      taskRequirements(gpuTask, {
        containerOverrides: [{ name: 'train', resourceRequirements: [{ type: 'GPU', value: '4' }] }],
      }).gpus,
    ).toBe(4);
  });

  it('takes fixed host ports in bridge mode, by protocol, sorted and unique', () => {
    const shape = taskRequirements({
      networkMode: 'bridge',
      containerDefinitions: [
        {
          name: 'web',
          memory: 128,
          portMappings: [
            { containerPort: 80, hostPort: 8080 },
            { containerPort: 443, hostPort: 443, protocol: 'tcp' },
            { containerPort: 53, hostPort: 53, protocol: 'udp' },
            { containerPort: 9000 },
          ],
        },
        { name: 'metrics', memory: 64, portMappings: [{ containerPort: 9100, hostPort: 443 }] },
      ],
    });
    expect(shape.hostPorts).toEqual({ tcp: [443, 8080], udp: [53] });
  });

  it('takes the container port itself in host mode, including port ranges', () => {
    const shape = taskRequirements({
      networkMode: 'host',
      containerDefinitions: [
        {
          name: 'web',
          memory: 128,
          portMappings: [{ containerPort: 80 }, { containerPortRange: '7000-7002' }],
        },
      ],
    });
    expect(shape.hostPorts.tcp).toEqual([80, 7000, 7001, 7002]);
  });

  it('takes no host ports with awsvpc or none', () => {
    const containers = [{ name: 'web', memory: 128, portMappings: [{ containerPort: 80, hostPort: 80 }] }];
    expect(
      taskRequirements({ networkMode: 'awsvpc', containerDefinitions: containers }).hostPorts.tcp,
    ).toEqual([]);
    expect(taskRequirements({ networkMode: 'none', containerDefinitions: containers }).hostPorts.tcp).toEqual(
      [],
    );
  });
});

describe('fits, shortfall, subtract, release', () => {
  const web: ResourceShape = {
    cpu: 256,
    memoryMiB: 512,
    gpus: 0,
    hostPorts: { tcp: [80], udp: [] },
    enis: 0,
  };

  it('names the first resource that is short, as RunTask failures do', () => {
    expect(shortfall(web, m5large())).toBeUndefined();
    expect(shortfall({ ...web, cpu: 4096 }, m5large())).toBe('CPU');
    expect(shortfall({ ...web, memoryMiB: 8000 }, m5large())).toBe('MEMORY');
    expect(shortfall({ ...web, gpus: 1 }, m5large())).toBe('GPU');
    expect(shortfall({ ...web, hostPorts: { tcp: [22], udp: [] } }, m5large())).toBe('PORTS');
    expect(shortfall({ ...web, hostPorts: { tcp: [], udp: [22] } }, m5large())).toBeUndefined();
    expect(shortfall({ ...web, enis: 3 }, m5large())).toBe('ENI');
  });

  it('a task with a fixed host port fits once per instance', () => {
    const after = subtract(m5large(), web);
    expect(after).toMatchObject({ cpu: 1792, memoryMiB: 7168 });
    expect(after.ports.tcp).toEqual([22, 80, 2375, 2376, 51678, 51679]);
    expect(fits(web, after)).toBe(false);
    expect(capacityFor(web, m5large())).toBe(1);
  });

  it('counts how many identical tasks fit', () => {
    const api = taskRequirements(api3);
    expect(capacityFor(api, m5large())).toBe(4); // CPU-bound: 2048 / 512
    expect(capacityFor(taskRequirements(worker5), m5large())).toBe(2); // ENI-bound
  });

  const shapes = fc.record({
    cpu: fc.integer({ min: 0, max: 4096 }),
    memoryMiB: fc.integer({ min: 0, max: 8192 }),
    gpus: fc.integer({ min: 0, max: 2 }),
    hostPorts: fc.record({
      tcp: fc
        .uniqueArray(fc.integer({ min: 1, max: 100 }), { maxLength: 3 })
        .map((ports) => ports.sort((a, b) => a - b)),
      udp: fc
        .uniqueArray(fc.integer({ min: 1, max: 100 }), { maxLength: 3 })
        .map((ports) => ports.sort((a, b) => a - b)),
    }),
    enis: fc.integer({ min: 0, max: 1 }),
  });

  it('release undoes subtract for a task that fits', () => {
    fc.assert(
      fc.property(shapes, (shape) => {
        const free = m5large();
        fc.pre(fits(shape, free));
        expect(release(subtract(free, shape), shape)).toEqual(free);
      }),
    );
  });

  it('capacityFor tasks fit one after another and one more does not', () => {
    fc.assert(
      fc.property(shapes, (shape) => {
        fc.pre(shape.cpu > 0 || shape.memoryMiB > 0);
        let free = m5large();
        const count = capacityFor(shape, free);
        for (let placed = 0; placed < count; placed++) {
          expect(fits(shape, free)).toBe(true);
          free = subtract(free, shape);
        }
        expect(fits(shape, free)).toBe(false);
      }),
    );
  });

  it('shapeKey groups exactly the identical shapes', () => {
    fc.assert(
      fc.property(shapes, shapes, (a, b) => {
        expect(shapeKey(a) === shapeKey(b)).toBe(JSON.stringify(a) === JSON.stringify(b));
      }),
    );
    expect(shapeKey(taskRequirements(api3))).toBe(shapeKey(taskRequirements(api3, {})));
  });
});
