// What the drain-instance end-to-end tests share: the function's settings for the sample cluster, the
// reconcile tick, and a Lambda context on the simulated clock. (Each test file still mocks the
// handler's sleep itself: vitest hoists vi.mock per file.)
import type { Context } from 'aws-lambda';
import { SAMPLE } from '../../local-aws/index';
import { lambdaContext as realTimeContext } from '../../local-aws/lambda';

export const LIFECYCLE = 'EC2 Instance-terminate Lifecycle Action';

export const DRAIN_ENV = {
  AUTO_SCALING_GROUPS: SAMPLE.group,
  LIFECYCLE_HOOK_NAMES: SAMPLE.hook,
  POLL_INTERVAL_SECONDS: '10',
  HEARTBEAT_INTERVAL_SECONDS: '120',
  DRAIN_DEADLINE_SECONDS: '3600',
  STANDALONE_TASK_POLICY: '',
  RECONCILE_MAX_INSTANCES: '25',
  MAX_DRAINING_PER_CLUSTER: '5',
  BLOCKED_DRAIN_DEADLINE_SECONDS: '172800',
  DRY_RUN: 'false',
  CLUSTERS: '',
};

/** The every-minute reconcile tick. */
export const DRAIN_TICK = {
  version: '0',
  id: 'tick',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: SAMPLE.account,
  time: '2025-01-15T03:00:00Z',
  region: SAMPLE.region,
  resources: ['arn:aws:events:us-east-1:123456789012:rule/ecs-autopilot-drain-reconcile'],
  detail: {},
};

/** Lambda's remaining time on the simulated clock: sleeping (which advances the world) spends it. */
export function simulatedLambdaContext(timeoutMs: number, requestId?: string): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    ...realTimeContext({ functionName: 'drain-instance', timeoutMs, requestId }),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}
