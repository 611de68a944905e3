import type { Activity } from '@aws-sdk/client-auto-scaling';
import { describe, expect, it } from 'vitest';
import { BOOT_SAMPLES_KEPT, bootOf, keepSamples, measureBoots, unmeasured } from './boot';

const T = Date.parse('2025-01-15T02:00:00.000Z');
const iso = (seconds: number) => new Date(T + seconds * 1000).toISOString();
const launch = (id: string, at: number, status = 'Successful'): Activity =>
  ({
    ActivityId: `a-${id}`,
    AutoScalingGroupName: 'web-asg',
    Cause: 'a user request update of AutoScalingGroup constraints',
    Description: `Launching a new EC2 instance: ${id}`,
    StartTime: new Date(T + at * 1000),
    StatusCode: status,
    Progress: 100,
  }) as Activity;

describe('boot time measured', () => {
  const instances = [
    { id: 'i-0000000000000000a', registeredAt: iso(95) },
    { id: 'i-0000000000000000b', registeredAt: iso(130) },
    { id: 'i-0000000000000000c', registeredAt: iso(900) },
  ];

  it('is launch activity StartTime to registeredAt, per instance not measured yet', () => {
    const ids = unmeasured(instances, [], T);
    expect(ids).toEqual(instances.map((one) => one.id));
    const samples = measureBoots(
      [launch('i-0000000000000000a', 5), launch('i-0000000000000000b', 10), launch('i-0000000000000000c', 0)],
      instances,
      ids,
      600,
    );
    // c took 900 s, past the boot timeout: an outlier, left out.
    expect(samples.map((one) => [one.instanceId, one.seconds])).toEqual([
      ['i-0000000000000000a', 90],
      ['i-0000000000000000b', 120],
    ]);
    expect(unmeasured(instances, samples, T)).toEqual(['i-0000000000000000c']);
  });

  it('ignores failed launches, launches into a warm pool and other activities', () => {
    const samples = measureBoots(
      [
        launch('i-0000000000000000a', 5, 'Failed'),
        {
          ...launch('i-0000000000000000b', 10),
          Description: 'Terminating EC2 instance: i-0000000000000000b',
        },
        {
          ...launch('i-0000000000000000b', 20),
          Description: 'Launching a new EC2 instance into warm pool: i-0000000000000000b',
        },
      ],
      instances,
      instances.map((one) => one.id),
      600,
    );
    expect(samples).toEqual([]);
  });

  it('plans with the median of the newest samples, rounded up', () => {
    expect(bootOf([])).toBeUndefined();
    const samples = [80, 90, 300, 95].map((seconds, index) => ({
      instanceId: `i-${index}`,
      registeredAt: iso(index * 60),
      seconds,
    }));
    expect(bootOf(samples)).toEqual({ seconds: 93, samples: 4 });
    const many = Array.from({ length: 40 }, (_, index) => ({
      instanceId: `i-${index}`,
      registeredAt: iso(index),
      seconds: index,
    }));
    const kept = keepSamples([], many);
    expect(kept).toHaveLength(BOOT_SAMPLES_KEPT);
    expect(kept[0]?.instanceId).toBe('i-39');
  });
});
