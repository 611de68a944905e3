import {
  CompleteLifecycleActionCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeLifecycleHooksCommand,
  DescribeScalingActivitiesCommand,
  DescribeTagsCommand,
  paginateDescribeAutoScalingGroups,
  RecordLifecycleActionHeartbeatCommand,
  SetDesiredCapacityCommand,
  SetInstanceProtectionCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { classifyAwsError } from '../../shared/aws/errors';
import { localClients } from './clients';
import { type LocalAws, SAMPLE, startLocalAws } from './index';

let aws: LocalAws;
let asg: ReturnType<typeof localClients>['autoScaling'];

beforeAll(async () => {
  aws = await startLocalAws({ seed: 'sample' });
  asg = localClients(aws.endpoint).autoScaling;
});
beforeEach(() => aws.reset('sample'));
afterAll(() => aws.close());

async function lifecycleState(instanceId: string) {
  const { AutoScalingInstances = [] } = await asg.send(
    new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] }),
  );
  return AutoScalingInstances[0]?.LifecycleState;
}

const hookRef = { AutoScalingGroupName: SAMPLE.group, LifecycleHookName: SAMPLE.hook };

describe('lifecycle actions', () => {
  it('answers ValidationError "No active Lifecycle Action found" when nothing waits, by id or token', async () => {
    const byId = await asg
      .send(
        new CompleteLifecycleActionCommand({
          ...hookRef,
          InstanceId: SAMPLE.instances[0],
          LifecycleActionResult: 'CONTINUE',
        }),
      )
      .catch((e: unknown) => e);
    expect(byId).toMatchObject({
      name: 'ValidationError',
      message: `No active Lifecycle Action found with instance ID ${SAMPLE.instances[0]}`,
      $metadata: { httpStatusCode: 400 },
    });
    expect(classifyAwsError(byId)).toBe('already-done');
    const byToken = await asg
      .send(
        new CompleteLifecycleActionCommand({
          ...hookRef,
          LifecycleActionToken: '87654321-4321-4321-4321-210987654321',
          LifecycleActionResult: 'CONTINUE',
        }),
      )
      .catch((e: unknown) => e);
    expect(byToken).toMatchObject({
      name: 'ValidationError',
      message: 'No active Lifecycle Action found with token 87654321-4321-4321-4321-210987654321',
    });
  });

  it('shows Terminating:Wait, completes by token, then terminates after the shutdown', async () => {
    await asg.send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: SAMPLE.instances[1],
        ShouldDecrementDesiredCapacity: true,
      }),
    );
    expect(await lifecycleState(SAMPLE.instances[1])).toBe('Terminating:Wait');
    const [event] = aws.world.takeEvents({ detailType: 'EC2 Instance-terminate Lifecycle Action' });
    const token = String(event?.detail.LifecycleActionToken);
    await asg.send(
      new CompleteLifecycleActionCommand({
        ...hookRef,
        LifecycleActionToken: token,
        LifecycleActionResult: 'CONTINUE',
      }),
    );
    expect(await lifecycleState(SAMPLE.instances[1])).toBe('Terminating:Proceed');
    // A second completion (duplicate event, second invocation) is the "already done" error.
    await expect(
      asg.send(
        new CompleteLifecycleActionCommand({
          ...hookRef,
          LifecycleActionToken: token,
          LifecycleActionResult: 'CONTINUE',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationError' });
    aws.world.advance(30_000);
    expect(await lifecycleState(SAMPLE.instances[1])).toBeUndefined();
    const { AutoScalingGroups = [] } = await asg.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [SAMPLE.group] }),
    );
    expect(AutoScalingGroups[0]?.DesiredCapacity).toBe(2);
    expect(AutoScalingGroups[0]?.Instances?.map((i) => i.InstanceId)).toEqual([
      SAMPLE.instances[0],
      SAMPLE.instances[2],
    ]);
  });

  it('times out to the default result; heartbeats restart the timer', async () => {
    await asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: SAMPLE.group, DesiredCapacity: 2 }));
    const waiting = aws.world.lifecycleActions({ active: true });
    expect(waiting).toHaveLength(1);
    const instanceId = waiting[0]?.instanceId ?? '';
    aws.world.advance(299_000);
    await asg.send(new RecordLifecycleActionHeartbeatCommand({ ...hookRef, InstanceId: instanceId }));
    aws.world.advance(299_000);
    expect(await lifecycleState(instanceId)).toBe('Terminating:Wait');
    aws.world.advance(1_000);
    expect(await lifecycleState(instanceId)).toBe('Terminating:Proceed');
    expect(aws.world.lifecycleActions({ instanceId })[0]).toMatchObject({
      result: 'CONTINUE',
      completedBy: 'timeout',
    });
    await expect(
      asg.send(new RecordLifecycleActionHeartbeatCommand({ ...hookRef, InstanceId: instanceId })),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      message: `No active Lifecycle Action found with instance ID ${instanceId}`,
    });
  });

  it('describes the hook as configured', async () => {
    const { LifecycleHooks = [] } = await asg.send(
      new DescribeLifecycleHooksCommand({ AutoScalingGroupName: SAMPLE.group }),
    );
    expect(LifecycleHooks).toEqual([
      {
        LifecycleHookName: SAMPLE.hook,
        AutoScalingGroupName: SAMPLE.group,
        LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
        NotificationMetadata: '{"cluster":"web"}',
        HeartbeatTimeout: 300,
        GlobalTimeout: 30000,
        DefaultResult: 'CONTINUE',
      },
    ]);
  });
});

describe('capacity', () => {
  it('launches Pending instances that go InService and register after the boot delay', async () => {
    await asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: SAMPLE.group, DesiredCapacity: 5 }));
    const pending = () =>
      aws.world
        .group(SAMPLE.group)
        ?.instances.filter((i) => i.lifecycleState === 'Pending')
        .map((i) => i.instanceId) ?? [];
    const launched = pending();
    expect(launched).toHaveLength(2);
    aws.world.advance(60_000);
    expect(await lifecycleState(launched[0] ?? '')).toBe('Pending');
    aws.world.advance(30_000);
    expect(await lifecycleState(launched[0] ?? '')).toBe('InService');
    expect(aws.world.findContainerInstance(launched[0] ?? '')?.status).toBe('ACTIVE');
  });

  it('checks SetDesiredCapacity against min and max with the AWS message', async () => {
    await expect(
      asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: SAMPLE.group, DesiredCapacity: 11 })),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'New SetDesiredCapacity value 11 is above max value 10 for the AutoScalingGroup.',
    });
  });

  it('never scales in protected instances', async () => {
    await asg.send(
      new SetInstanceProtectionCommand({
        AutoScalingGroupName: SAMPLE.group,
        InstanceIds: [SAMPLE.instances[0], SAMPLE.instances[2]],
        ProtectedFromScaleIn: true,
      }),
    );
    await asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: SAMPLE.group, DesiredCapacity: 0 }));
    const { AutoScalingGroups = [] } = await asg.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [SAMPLE.group] }),
    );
    expect(
      AutoScalingGroups[0]?.Instances?.map((i) => [i.InstanceId, i.LifecycleState, i.ProtectedFromScaleIn]),
    ).toEqual([
      [SAMPLE.instances[0], 'InService', true],
      [SAMPLE.instances[1], 'Terminating:Wait', false],
      [SAMPLE.instances[2], 'InService', true],
    ]);
    await expect(
      asg.send(
        new SetInstanceProtectionCommand({
          AutoScalingGroupName: SAMPLE.group,
          InstanceIds: ['i-0ffffffffffffffff'],
          ProtectedFromScaleIn: true,
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationError' });
  });

  it('refuses to terminate with decrement below the minimum size', async () => {
    aws.world.updateGroup(SAMPLE.group, { minSize: 3 });
    await expect(
      asg.send(
        new TerminateInstanceInAutoScalingGroupCommand({
          InstanceId: SAMPLE.instances[0],
          ShouldDecrementDesiredCapacity: true,
        }),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining('min size constraint'),
    });
    const { Activity } = await asg.send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: SAMPLE.instances[0],
        ShouldDecrementDesiredCapacity: false,
      }),
    );
    expect(Activity?.Description).toBe(`Terminating EC2 instance: ${SAMPLE.instances[0]}`);
    expect(Activity?.StartTime).toBeInstanceOf(Date);
  });
});

describe('describing', () => {
  it('pages DescribeAutoScalingGroups and filters by tag', async () => {
    for (let i = 0; i < 4; i++) {
      aws.world.createAutoScalingGroup({
        name: `batch-${i}`,
        instanceType: 'c5.large',
        tags: [{ key: 'team', value: i % 2 === 0 ? 'data' : 'web' }],
      });
    }
    const names: string[] = [];
    for await (const page of paginateDescribeAutoScalingGroups({ client: asg, pageSize: 2 }, {})) {
      names.push(...(page.AutoScalingGroups ?? []).map((g) => g.AutoScalingGroupName ?? ''));
    }
    expect(names).toEqual([SAMPLE.group, 'batch-0', 'batch-1', 'batch-2', 'batch-3']);
    expect(aws.calls.count('autoscaling:DescribeAutoScalingGroups')).toBe(3);
    const { AutoScalingGroups = [] } = await asg.send(
      new DescribeAutoScalingGroupsCommand({ Filters: [{ Name: 'tag:team', Values: ['data'] }] }),
    );
    expect(AutoScalingGroups.map((g) => g.AutoScalingGroupName)).toEqual(['batch-0', 'batch-2']);
    const { Tags = [] } = await asg.send(
      new DescribeTagsCommand({ Filters: [{ Name: 'key', Values: ['ecs-autopilot:cluster'] }] }),
    );
    expect(Tags.map((t) => [t.ResourceId, t.Value])).toEqual([[SAMPLE.group, 'web']]);
  });

  it('limits DescribeAutoScalingInstances to 50 ids and omits unknown ones', async () => {
    await expect(
      asg.send(
        new DescribeAutoScalingInstancesCommand({
          InstanceIds: Array.from({ length: 51 }, (_, i) => `i-${i}`),
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationError' });
    const { AutoScalingInstances = [] } = await asg.send(
      new DescribeAutoScalingInstancesCommand({ InstanceIds: [SAMPLE.instances[0], 'i-0unknown'] }),
    );
    expect(AutoScalingInstances.map((i) => [i.InstanceId, i.AutoScalingGroupName, i.LifecycleState])).toEqual(
      [[SAMPLE.instances[0], SAMPLE.group, 'InService']],
    );
  });
});

describe('scaling activities', () => {
  it('lists launches and terminations newest first, Successful once done', async () => {
    await asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: SAMPLE.group, DesiredCapacity: 4 }));
    const launched = aws.world
      .group(SAMPLE.group)
      ?.instances.find((i) => i.lifecycleState === 'Pending')?.instanceId;
    const before = await asg.send(
      new DescribeScalingActivitiesCommand({ AutoScalingGroupName: SAMPLE.group }),
    );
    expect(before.Activities?.[0]).toMatchObject({
      Description: `Launching a new EC2 instance: ${launched}`,
      StatusCode: 'InProgress',
    });
    aws.world.advance(90_000);
    const after = await asg.send(
      new DescribeScalingActivitiesCommand({ AutoScalingGroupName: SAMPLE.group }),
    );
    expect(after.Activities?.[0]).toMatchObject({ StatusCode: 'Successful', Progress: 100 });
    expect(after.Activities?.[0]?.EndTime?.getTime()).toBe(aws.world.now());
    expect(after.Activities).toHaveLength(4);
  });
});
