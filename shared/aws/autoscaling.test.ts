import {
  AutoScalingClient,
  AutoScalingServiceException,
  CompleteLifecycleActionCommand,
  DescribeAutoScalingInstancesCommand,
  RecordLifecycleActionHeartbeatCommand,
  SetInstanceProtectionCommand,
} from '@aws-sdk/client-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  completeLifecycleAction,
  describeAutoScalingInstances,
  recordLifecycleActionHeartbeat,
  setInstanceProtection,
} from './autoscaling';

const autoScalingMock = mockClient(AutoScalingClient);
const action = { group: 'web-asg', hook: 'ecs-autopilot-drain', instanceId: 'i-0a1b2c3d4e5f60001' };
const noActiveAction = () =>
  new AutoScalingServiceException({
    name: 'ValidationError',
    $fault: 'client',
    message: 'No active Lifecycle Action found with instance ID i-0a1b2c3d4e5f60001',
    $metadata: { httpStatusCode: 400 },
  });

beforeEach(() => autoScalingMock.reset());

describe('lifecycle actions', () => {
  it('completes by instance id when no token is known', async () => {
    autoScalingMock.on(CompleteLifecycleActionCommand).resolves({});
    await expect(completeLifecycleAction(action, 'CONTINUE')).resolves.toBe('done');
    expect(autoScalingMock).toHaveReceivedCommandWith(CompleteLifecycleActionCommand, {
      AutoScalingGroupName: 'web-asg',
      LifecycleHookName: 'ecs-autopilot-drain',
      InstanceId: 'i-0a1b2c3d4e5f60001',
      LifecycleActionResult: 'CONTINUE',
    });
  });

  it('treats an action that is no longer active as already done', async () => {
    autoScalingMock.on(CompleteLifecycleActionCommand).rejects(noActiveAction());
    autoScalingMock.on(RecordLifecycleActionHeartbeatCommand).rejects(noActiveAction());
    await expect(completeLifecycleAction({ ...action, token: 'tok' }, 'CONTINUE')).resolves.toBe(
      'already-done',
    );
    await expect(recordLifecycleActionHeartbeat(action)).resolves.toBe('already-done');
  });

  it('surfaces other validation errors', async () => {
    autoScalingMock.on(CompleteLifecycleActionCommand).rejects(
      new AutoScalingServiceException({
        name: 'ValidationError',
        $fault: 'client',
        message: 'LifecycleHookName ecs-autopilot-drain not found',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    await expect(completeLifecycleAction(action, 'CONTINUE')).rejects.toMatchObject({ kind: 'invalid' });
  });
});

describe('batching', () => {
  it('describes instances 50 ids per call', async () => {
    autoScalingMock.on(DescribeAutoScalingInstancesCommand).callsFake((input: { InstanceIds: string[] }) => ({
      AutoScalingInstances: input.InstanceIds.map((InstanceId) => ({
        InstanceId,
        LifecycleState: 'InService',
      })),
    }));
    const ids = Array.from({ length: 120 }, (_, i) => `i-${String(i).padStart(17, '0')}`);
    const found = await describeAutoScalingInstances(ids);
    expect(found).toHaveLength(120);
    expect(autoScalingMock).toHaveReceivedCommandTimes(DescribeAutoScalingInstancesCommand, 3);
  });

  it('sets scale-in protection 50 instances per call', async () => {
    autoScalingMock.on(SetInstanceProtectionCommand).resolves({});
    await setInstanceProtection(
      'web-asg',
      Array.from({ length: 51 }, (_, i) => `i-${i}`),
      true,
    );
    expect(autoScalingMock).toHaveReceivedCommandTimes(SetInstanceProtectionCommand, 2);
  });
});
