import { describe, expect, it } from 'vitest';
import { matchesPattern } from './event-pattern';

const taskStopped = {
  source: 'aws.ecs',
  'detail-type': 'ECS Task State Change',
  resources: ['arn:aws:ecs:us-east-1:123456789012:task/web/abc'],
  detail: {
    clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/web',
    lastStatus: 'STOPPED',
    stopCode: 'TaskFailedToStart',
    startedBy: 'ecs-svc/123',
    group: 'service:api',
    version: 4,
    containers: [
      { name: 'api', reason: 'CannotPullContainerError: pull access denied', exitCode: null },
      { name: 'log', exitCode: 0 },
    ],
  },
};

const cases: [string, Record<string, unknown>, boolean][] = [
  ['exact value', { source: ['aws.ecs'] }, true],
  ['exact value, one of several', { source: ['aws.ec2', 'aws.ecs'] }, true],
  ['exact value mismatch', { source: ['aws.ec2'] }, false],
  ['exact is case sensitive', { source: ['AWS.ECS'] }, false],
  ['nested exact', { detail: { lastStatus: ['STOPPED'] } }, true],
  ['number exact', { detail: { version: [4] } }, true],
  ['number is not its string', { detail: { version: ['4'] } }, false],
  ['null exact', { detail: { containers: { exitCode: [null] } } }, true],
  ['array field: any element', { resources: ['arn:aws:ecs:us-east-1:123456789012:task/web/abc'] }, true],
  ['array of objects: any element', { detail: { containers: { name: ['log'] } } }, true],
  ['missing field', { detail: { taskDefinitionArn: ['x'] } }, false],
  ['prefix', { detail: { startedBy: [{ prefix: 'ecs-svc/' }] } }, true],
  ['prefix mismatch', { detail: { startedBy: [{ prefix: 'ecs-autopilot/' }] } }, false],
  ['prefix ignoring case', { detail: { group: [{ prefix: { 'equals-ignore-case': 'SERVICE:' } }] } }, true],
  ['suffix', { detail: { clusterArn: [{ suffix: ':cluster/web' }] } }, true],
  ['suffix mismatch', { detail: { clusterArn: [{ suffix: ':cluster/batch' }] } }, false],
  ['suffix ignoring case', { detail: { clusterArn: [{ suffix: { 'equals-ignore-case': '/WEB' } }] } }, true],
  ['equals-ignore-case', { detail: { lastStatus: [{ 'equals-ignore-case': 'stopped' }] } }, true],
  ['anything-but value', { detail: { lastStatus: [{ 'anything-but': 'RUNNING' }] } }, true],
  ['anything-but excluded value', { detail: { lastStatus: [{ 'anything-but': 'STOPPED' }] } }, false],
  ['anything-but list', { detail: { lastStatus: [{ 'anything-but': ['RUNNING', 'STOPPED'] }] } }, false],
  ['anything-but prefix', { detail: { startedBy: [{ 'anything-but': { prefix: 'ecs-svc/' } }] } }, false],
  [
    'anything-but prefix passes',
    { detail: { startedBy: [{ 'anything-but': { prefix: 'ecs-autopilot/' } }] } },
    true,
  ],
  ['anything-but suffix', { detail: { clusterArn: [{ 'anything-but': { suffix: '/web' } }] } }, false],
  [
    'anything-but ignoring case',
    { detail: { lastStatus: [{ 'anything-but': { 'equals-ignore-case': ['stopped', 'running'] } }] } },
    false,
  ],
  ['anything-but needs the field', { detail: { absent: [{ 'anything-but': 'x' }] } }, false],
  ['exists true', { detail: { stopCode: [{ exists: true }] } }, true],
  ['exists true on a missing field', { detail: { startedAt: [{ exists: true }] } }, false],
  ['exists false', { detail: { startedAt: [{ exists: false }] } }, true],
  ['exists false on a present field', { detail: { stopCode: [{ exists: false }] } }, false],
  ['exists inside an array of objects', { detail: { containers: { reason: [{ exists: true }] } } }, true],
  ['numeric range', { detail: { version: [{ numeric: ['>', 0, '<=', 5] }] } }, true],
  ['numeric out of range', { detail: { version: [{ numeric: ['>=', 5] }] } }, false],
  ['numeric equals', { detail: { version: [{ numeric: ['=', 4] }] } }, true],
  ['numeric on a string', { detail: { lastStatus: [{ numeric: ['>', 0] }] } }, false],
  ['wildcard', { detail: { clusterArn: [{ wildcard: 'arn:aws:ecs:*:cluster/web' }] } }, true],
  [
    '$or: one branch',
    {
      source: ['aws.ecs'],
      detail: { $or: [{ stopCode: ['EssentialContainerExited'] }, { lastStatus: ['STOPPED'] }] },
    },
    true,
  ],
  [
    '$or: no branch',
    { detail: { $or: [{ stopCode: ['UserInitiated'] }, { lastStatus: ['RUNNING'] }] } },
    false,
  ],
  [
    '$or at the top level',
    { $or: [{ source: ['aws.ec2'] }, { 'detail-type': ['ECS Task State Change'] }] },
    true,
  ],
  ['every field must match', { source: ['aws.ecs'], detail: { lastStatus: ['RUNNING'] } }, false],
  ['nested object against a scalar', { detail: { lastStatus: { inner: ['x'] } } }, false],
];

describe('EventBridge pattern matching (test helper)', () => {
  it.each(cases)('%s', (_, pattern, expected) => {
    expect(matchesPattern(pattern, taskStopped)).toBe(expected);
  });

  it('rejects what EventBridge rejects or this helper does not know', () => {
    expect(() => matchesPattern({ source: [] }, taskStopped)).toThrow(/empty array/);
    expect(() => matchesPattern({ source: 'aws.ecs' }, taskStopped)).toThrow(/array or an object/);
    expect(() => matchesPattern({ source: [{ cidr: '10.0.0.0/24' }] }, taskStopped)).toThrow(/Unsupported/);
    expect(() => matchesPattern({ $or: [{ source: ['aws.ecs'] }] }, taskStopped)).toThrow(/at least two/);
  });
});
