import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cpuUnitsToVcpu,
  FARGATE_SIZES,
  fargateSizePairs,
  formatCpu,
  formatMemory,
  gbToMib,
  mibToGb,
  parseCpu,
  parseMemory,
  TaskSizeParseError,
  validateTaskSize,
  vcpuToCpuUnits,
} from './task-size';

const validPairs = fargateSizePairs();
const validKeys = new Set(validPairs.map(({ cpuUnits, memoryMiB }) => `${cpuUnits}/${memoryMiB}`));

describe('unit conversions', () => {
  it('1 vCPU is 1024 units and 1 GB is 1024 MiB', () => {
    expect(vcpuToCpuUnits(1)).toBe(1024);
    expect(cpuUnitsToVcpu(256)).toBe(0.25);
    expect(gbToMib(2)).toBe(2048);
    expect(mibToGb(512)).toBe(0.5);
  });

  it('round-trip CPU units through vCPU and MiB through GB', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000 }), (n) => {
        expect(vcpuToCpuUnits(cpuUnitsToVcpu(n))).toBe(n);
        expect(gbToMib(mibToGb(n))).toBe(n);
      }),
    );
  });

  it('round-trip printed sizes through the task definition parsers', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000 }), (n) => {
        expect(parseCpu(formatCpu(n))).toBe(n);
        expect(parseMemory(formatMemory(n))).toBe(n);
        expect(parseCpu(String(n))).toBe(n);
        expect(parseMemory(String(n))).toBe(n);
      }),
    );
  });
});

describe('parseCpu / parseMemory', () => {
  it.each([
    ['1 vCPU', 1024],
    ['0.25 vcpu', 256],
    ['.5 VCPU', 512],
    ['2vCPU', 2048],
    ['1024', 1024],
    [' 512 ', 512],
  ])('cpu %j is %i units', (text, units) => {
    expect(parseCpu(text)).toBe(units);
  });

  it('accepts the number a parsed task definition already holds', () => {
    expect(parseCpu(1024)).toBe(1024);
    expect(parseMemory(2048)).toBe(2048);
  });

  it.each([
    ['2 GB', 2048],
    ['2GB', 2048],
    ['0.5 gb', 512],
    ['512', 512],
  ])('memory %j is %i MiB', (text, mib) => {
    expect(parseMemory(text)).toBe(mib);
  });

  it.each(['', 'one', '1 core', '-1', '0', '0.3 vCPU', '1.5', 'vCPU'])(
    'rejects cpu %j with a message',
    (text) => {
      expect(() => parseCpu(text)).toThrow(TaskSizeParseError);
      expect(() => parseCpu(text)).toThrow(/cpu/);
    },
  );

  it.each(['', '2 TB', '2 MiB', '0', '1.5', '0.0001 GB'])('rejects memory %j with a message', (text) => {
    expect(() => parseMemory(text)).toThrow(TaskSizeParseError);
    expect(() => parseMemory(text)).toThrow(/memory/);
  });
});

describe('the Fargate table', () => {
  it('matches the published sizes', () => {
    const rows = Object.fromEntries(
      FARGATE_SIZES.map((size) => [size.cpuUnits, size.memoryMiB.map(mibToGb)]),
    );
    expect(rows[256]).toEqual([0.5, 1, 2]);
    expect(rows[512]).toEqual([1, 2, 3, 4]);
    expect(rows[1024]).toEqual([2, 3, 4, 5, 6, 7, 8]);
    expect(rows[2048]).toEqual(Array.from({ length: 13 }, (_, i) => 4 + i));
    expect(rows[4096]).toEqual(Array.from({ length: 23 }, (_, i) => 8 + i));
    expect(rows[8192]).toEqual([16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60]);
    expect(rows[16384]).toEqual([32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 120]);
  });

  it('accepts every valid pair, in any accepted spelling', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...validPairs),
        fc.boolean(),
        fc.boolean(),
        ({ cpuUnits, memoryMiB }, vcpu, gb) => {
          const result = validateTaskSize(
            {
              cpu: vcpu ? formatCpu(cpuUnits) : String(cpuUnits),
              memory: gb ? formatMemory(memoryMiB) : memoryMiB,
            },
            'FARGATE',
          );
          expect(result).toEqual({ ok: true, cpuUnits, memoryMiB });
        },
      ),
    );
  });

  it('rejects every other pair with a reason and valid alternatives', () => {
    const cpu = fc.oneof(
      fc.constantFrom(...FARGATE_SIZES.map((size) => size.cpuUnits)),
      fc.integer({ min: 1, max: 20_000 }),
    );
    const memory = fc.oneof(
      fc.integer({ min: 1, max: 130 }).map(gbToMib),
      fc.integer({ min: 1, max: 130_000 }),
    );
    fc.assert(
      fc.property(cpu, memory, (cpuUnits, memoryMiB) => {
        fc.pre(!validKeys.has(`${cpuUnits}/${memoryMiB}`));
        const result = validateTaskSize({ cpu: cpuUnits, memory: memoryMiB }, 'FARGATE');
        if (result.ok) throw new Error(`accepted ${cpuUnits}/${memoryMiB}`);
        expect(result.reason).toMatch(/Fargate/);
        expect(result.reason).toContain(String(cpuUnits));
        expect(result.validAlternatives.length).toBeGreaterThan(0);
        // An alternative completes the half that was valid; when neither half is, it is a valid CPU size.
        const memoryValidSomewhere = validPairs.some((pair) => pair.memoryMiB === memoryMiB);
        for (const alternative of result.validAlternatives) {
          if (/vCPU/.test(alternative) && !memoryValidSomewhere) {
            expect(FARGATE_SIZES.map((size) => size.cpuUnits)).toContain(parseCpu(alternative));
            continue;
          }
          const pair = /vCPU/.test(alternative)
            ? { cpu: alternative, memory: memoryMiB }
            : { cpu: cpuUnits, memory: alternative };
          expect(validateTaskSize(pair, 'FARGATE').ok).toBe(true);
        }
      }),
    );
  });

  it('explains too much memory for the CPU and names the sizes that fit', () => {
    const result = validateTaskSize({ cpu: '1 vCPU', memory: '16 GB' }, 'FARGATE');
    expect(result).toEqual({
      ok: false,
      reason: expect.stringContaining(
        'Fargate accepts 2048–8192 MiB (2–8 GB) with 1024 CPU units (1 vCPU); 16384 MiB is too much. Valid: 2 GB, 3 GB',
      ),
      validAlternatives: ['2 GB', '3 GB', '4 GB', '5 GB', '6 GB', '7 GB', '8 GB'],
    });
    expect(!result.ok && result.reason).toContain('16384 MiB needs 2 vCPU, 4 vCPU or 8 vCPU');
  });

  it('explains too little memory and steps that do not exist', () => {
    const low = validateTaskSize({ cpu: 4096, memory: 4096 }, 'FARGATE');
    expect(!low.ok && low.reason).toContain('4096 MiB is too little');
    const offStep = validateTaskSize({ cpu: 8192, memory: '18 GB' }, 'FARGATE');
    expect(!offStep.ok && offStep.reason).toContain('16384–61440 MiB (16–60 GB) in 4 GB steps');
    expect(!offStep.ok && offStep.reason).toContain('not one of the steps');
  });

  it('names the CPU values that accept the memory when the CPU is not a Fargate size', () => {
    expect(validateTaskSize({ cpu: 768, memory: '2 GB' }, 'FARGATE')).toEqual({
      ok: false,
      reason: expect.stringContaining('no task size with 768 CPU units'),
      validAlternatives: ['0.25 vCPU', '0.5 vCPU', '1 vCPU'],
    });
  });

  it('requires both cpu and memory on Fargate', () => {
    const result = validateTaskSize({ cpu: 256 }, 'FARGATE');
    expect(result).toEqual({
      ok: false,
      reason: expect.stringContaining('memory is not set'),
      validAlternatives: ['0.5 GB', '1 GB', '2 GB'],
    });
  });

  it('names the CPU sizes when neither cpu nor memory is set', () => {
    expect(validateTaskSize({}, 'FARGATE')).toEqual({
      ok: false,
      reason: expect.stringContaining('cpu and memory are not set'),
      validAlternatives: ['0.25 vCPU', '0.5 vCPU', '1 vCPU', '2 vCPU', '4 vCPU', '8 vCPU', '16 vCPU'],
    });
  });

  it('requires platform 1.4.0 for 8 and 16 vCPU', () => {
    expect(
      validateTaskSize({ cpu: '8 vCPU', memory: '16 GB' }, 'FARGATE', { platformVersion: '1.3.0' }),
    ).toMatchObject({
      ok: false,
      reason: expect.stringContaining('needs platform version 1.4.0'),
    });
    for (const platformVersion of [undefined, 'LATEST', '1.4.0']) {
      expect(validateTaskSize({ cpu: '16 vCPU', memory: '32 GB' }, 'FARGATE', { platformVersion }).ok).toBe(
        true,
      );
    }
  });

  it('limits Windows to the sizes Fargate runs Windows on', () => {
    const windows = { operatingSystemFamily: 'WINDOWS_SERVER_2022_CORE' };
    expect(validateTaskSize({ cpu: 256, memory: 512 }, 'FARGATE', windows)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('Fargate on Windows'),
    });
    expect(validateTaskSize({ cpu: 1024, memory: 2048 }, 'FARGATE', windows).ok).toBe(true);
  });

  it('reports unparseable values in words', () => {
    expect(validateTaskSize({ cpu: 'lots', memory: '2 GB' }, 'FARGATE')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('cpu "lots" is not a CPU size'),
    });
  });
});

describe('EC2 and EXTERNAL bounds', () => {
  it('accept an unset size and any cpu from 128 to 196608 units', () => {
    expect(validateTaskSize({}, 'EC2')).toEqual({ ok: true, cpuUnits: undefined, memoryMiB: undefined });
    fc.assert(
      fc.property(
        fc.integer({ min: 128, max: 196_608 }),
        fc.constantFrom('EC2', 'EXTERNAL' as const),
        (cpu, launchType) => {
          expect(validateTaskSize({ cpu, memory: 3 }, launchType)).toEqual({
            ok: true,
            cpuUnits: cpu,
            memoryMiB: 3,
          });
        },
      ),
    );
  });

  it('rejects cpu outside the bounds and suggests the nearest bound', () => {
    expect(validateTaskSize({ cpu: 64 }, 'EC2')).toEqual({
      ok: false,
      reason: expect.stringContaining('64 CPU units is too little'),
      validAlternatives: ['128'],
    });
    expect(validateTaskSize({ cpu: '200 vCPU' }, 'EXTERNAL')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^EXTERNAL .* too much/),
      validAlternatives: ['196608'],
    });
  });

  it('needs container memory when the task has none', () => {
    const result = validateTaskSize(
      { cpu: 256, containerDefinitions: [{ name: 'api', memoryReservation: 256 }, { name: 'sidecar' }] },
      'EC2',
    );
    expect(result).toMatchObject({
      ok: false,
      reason: expect.stringContaining('container "sidecar" sets neither memory nor memoryReservation'),
    });
    expect(validateTaskSize({ memory: '1 GB', containerDefinitions: [{ name: 'sidecar' }] }, 'EC2').ok).toBe(
      true,
    );
  });

  it('requires container memory above memoryReservation and within the task memory', () => {
    expect(
      validateTaskSize(
        { containerDefinitions: [{ name: 'api', memory: 512, memoryReservation: 512 }] },
        'EC2',
      ),
    ).toMatchObject({
      ok: false,
      reason: expect.stringContaining('must be greater than its memoryReservation'),
    });
    expect(
      validateTaskSize({ memory: 512, containerDefinitions: [{ name: 'api', memory: 1024 }] }, 'EC2'),
    ).toMatchObject({
      ok: false,
      reason: expect.stringContaining("more than the task's 512 MiB"),
    });
  });
});
