import { type DrainRecord, hashToken } from '../../shared/drain/record';

/** An open drain record of the sample group and hook, started (and last heartbeated) at `at`. */
export function drainRecord(at: number, fields: Partial<DrainRecord> = {}): DrainRecord {
  return {
    instanceId: 'i-0a1b2c3d4e5f60001',
    group: 'web-asg',
    hook: 'ecs-autopilot-drain',
    cluster: 'web',
    cause: 'terminate',
    origin: 'lifecycle',
    tokenHash: hashToken('token-1'),
    startedAt: at,
    lastHeartbeatAt: at,
    completedAt: undefined,
    outcome: undefined,
    leaseOwner: undefined,
    leaseUntil: undefined,
    ...fields,
  };
}
