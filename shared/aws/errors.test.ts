import {
  AutoScalingServiceException,
  LimitExceededFault,
  ResourceInUseFault,
  ScalingActivityInProgressFault,
} from '@aws-sdk/client-auto-scaling';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  AccessDeniedException,
  ClusterNotFoundException,
  ConflictException,
  ECSServiceException,
  InvalidParameterException,
  ServerException,
} from '@aws-sdk/client-ecs';
import { AuthorizationErrorException, NotFoundException } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { AwsOperationError, call, classifyAwsError, kindOf } from './errors';

const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });

describe('classifyAwsError', () => {
  it.each([
    [
      'ECS throttling',
      new ECSServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        message: 'Rate exceeded',
        ...meta(400),
      }),
      'throttled',
    ],
    [
      'Auto Scaling throttling',
      new AutoScalingServiceException({
        name: 'Throttling',
        $fault: 'client',
        message: 'Rate exceeded',
        ...meta(400),
      }),
      'throttled',
    ],
    [
      'a lifecycle action already completed',
      new AutoScalingServiceException({
        name: 'ValidationError',
        $fault: 'client',
        message: 'No active Lifecycle Action found with instance ID i-0a1b2c3d4e5f60001',
        ...meta(400),
      }),
      'already-done',
    ],
    [
      'an unknown cluster',
      new ClusterNotFoundException({ message: 'Cluster not found.', $metadata: {} }),
      'not-found',
    ],
    [
      'a RunTask clientToken reused with other parameters',
      new ConflictException({ message: 'conflict', $metadata: {} }),
      'conflict',
    ],
    [
      'a lost conditional write',
      new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      'conflict',
    ],
    [
      'a bad parameter',
      new InvalidParameterException({ message: 'count must be at most 10', $metadata: {} }),
      'invalid',
    ],
    [
      'missing permissions',
      new AccessDeniedException({ message: 'not authorized', $metadata: {} }),
      'access-denied',
    ],
    [
      'Auto Scaling busy with a scaling activity',
      new ScalingActivityInProgressFault({ message: 'activity in progress', $metadata: {} }),
      'conflict',
    ],
    [
      'an Auto Scaling resource in use',
      new ResourceInUseFault({ message: 'in use', $metadata: {} }),
      'conflict',
    ],
    [
      'an Auto Scaling quota (not a rate)',
      new LimitExceededFault({ message: 'limit', ...meta(400) }),
      'other',
    ],
    [
      'SNS denying the publish',
      new AuthorizationErrorException({ message: 'not authorized', ...meta(403) }),
      'access-denied',
    ],
    [
      'an unknown SNS topic',
      new NotFoundException({ message: 'Topic does not exist', ...meta(404) }),
      'not-found',
    ],
    ['a server fault', new ServerException({ message: 'internal', ...meta(500) }), 'transient'],
    ['something else', new Error('boom'), 'other'],
    ['not an error at all', 'boom', 'other'],
  ])('maps %s', (_label, error, kind) => {
    expect(classifyAwsError(error)).toBe(kind);
  });
});

describe('call', () => {
  it('wraps a failure with the operation and target, keeping the cause and its kind', async () => {
    const cause = new ClusterNotFoundException({ message: 'Cluster not found.', $metadata: {} });
    const failure = await call('ecs:ListTasks', 'web', () => Promise.reject(cause)).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(AwsOperationError);
    expect(failure).toMatchObject({ operation: 'ecs:ListTasks', target: 'web', cause, kind: 'not-found' });
    expect(kindOf(failure)).toBe('not-found');
    expect(String(failure)).toContain(
      'ecs:ListTasks on web failed: ClusterNotFoundException: Cluster not found.',
    );
  });

  it('does not wrap twice', async () => {
    const inner = new AwsOperationError('ecs:DescribeTasks', 'web', new Error('x'));
    await expect(call('outer', 'web', () => Promise.reject(inner))).rejects.toBe(inner);
  });
});
