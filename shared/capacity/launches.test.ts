import type { Activity, ScalingActivityStatusCode } from '@aws-sdk/client-auto-scaling';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { launchFailuresOf } from './launches';
import { planCapacity } from './planner';
import { parseSnapshot } from './snapshot';

const NOW = Date.parse('2025-01-15T03:00:00.000Z');
const ago = (seconds: number) => new Date(NOW - seconds * 1000);
const launch = (
  secondsAgo: number,
  StatusCode: ScalingActivityStatusCode,
  StatusMessage?: string,
): Activity => ({
  ActivityId: `a-${secondsAgo}`,
  AutoScalingGroupName: 'web-asg',
  Cause: 'a user request explicitly set group desired capacity',
  Description:
    StatusCode === 'Failed' || StatusCode === 'Cancelled'
      ? `Launching a new EC2 instance.  Status Reason: ${StatusMessage}`
      : 'Launching a new EC2 instance: i-0a1b2c3d4e5f60009',
  StartTime: ago(secondsAgo),
  StatusCode,
  ...(StatusMessage ? { StatusMessage } : {}),
  Progress: 100,
});
const ICE = 'We currently do not have sufficient m5.large capacity in the Availability Zone you requested';
const TEMPLATE =
  'The specified launch template, with template ID lt-0a1b, does not exist. Launching EC2 instance failed.';

describe('launchFailuresOf', () => {
  it('the failed and cancelled launches since the last one that did not fail, newest first', () => {
    const failures = launchFailuresOf(
      [
        launch(300, 'Successful'),
        launch(30, 'Failed', ICE),
        launch(90, 'Cancelled', TEMPLATE),
        {
          ActivityId: 't',
          AutoScalingGroupName: 'web-asg',
          Cause: 'an instance was taken out of service',
          Description: 'Terminating EC2 instance: i-0a1b2c3d4e5f60001',
          StartTime: ago(10),
          StatusCode: 'Successful',
        },
      ],
      NOW - 600_000,
    );
    expect(failures).toEqual([
      { at: ago(30).toISOString(), status: 'Failed', message: ICE },
      { at: ago(90).toISOString(), status: 'Cancelled', message: TEMPLATE },
    ]);
  });

  it('none when the newest launch succeeded or is under way, or the failures are older than `since`', () => {
    expect(launchFailuresOf([launch(5, 'InProgress'), launch(30, 'Failed', ICE)], NOW - 600_000)).toEqual([]);
    expect(launchFailuresOf([launch(5, 'Successful'), launch(30, 'Failed', ICE)], NOW - 600_000)).toEqual([]);
    expect(launchFailuresOf([launch(700, 'Failed', ICE)], NOW - 600_000)).toEqual([]);
  });
});

describe('planning while launches fail', () => {
  const snapshot = (desired: number, tasks: number, failing: boolean, failingRaiseAt?: string) =>
    parseSnapshot({
      cluster: 'web',
      capacityProvider: 'web-asg-cp',
      group: {
        name: 'web-asg',
        min: 0,
        max: 50,
        desired,
        availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
        instanceTypes: ['m5.large'],
        ...(failing
          ? { launchFailures: [{ at: ago(20).toISOString(), status: 'Failed', message: ICE }] }
          : {}),
        ...(failingRaiseAt ? { failingRaiseAt } : {}),
      },
      instanceTypes: { 'm5.large': { cpu: 2048, memoryMiB: 7680, enis: 2 } },
      daemonOverhead: { cpu: 128, memoryMiB: 256 },
      demand: [
        { source: 'service:api', group: 'service:api', count: tasks, shape: { cpu: 512, memoryMiB: 1024 } },
      ],
    });

  it('the requested instances take no demand; the desired capacity rises only beyond them', () => {
    const plan = planCapacity(snapshot(2, 9, true), NOW);
    // 9 tasks, 3 per new m5.large: 3 instances, 2 of them already asked for.
    expect(plan).toMatchObject({ newInstances: 3, scaleOut: 1, desiredCapacity: 3 });
    expect(plan.totals.onLaunching).toBe(0);
    expect(plan.launchFailures).toMatchObject({ requested: 2, heldScaleOut: 0, recordRaise: true });
    const healthy = planCapacity(snapshot(2, 9, false), NOW);
    expect(healthy).toMatchObject({ newInstances: 1, scaleOut: 1, desiredCapacity: 3 });
    expect(healthy.launchFailures).toBeUndefined();
  });

  it('property: while launches fail, the desired capacity never rises twice within a boot timeout', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 0, max: 599 }),
        (desired, tasks, secondsSinceRaise) => {
          const plan = planCapacity(
            snapshot(desired, tasks, true, ago(secondsSinceRaise).toISOString()),
            NOW,
          );
          expect(plan.scaleOut).toBe(0);
          expect(plan.desiredCapacity).toBe(desired);
          // Otherwise it rises to what the demand needs (within the step), never past it.
          const free = planCapacity(snapshot(desired, tasks, true), NOW);
          expect(free.desiredCapacity).toBe(Math.max(desired, Math.min(Math.ceil(tasks / 3), desired + 10)));
        },
      ),
    );
  });
});
