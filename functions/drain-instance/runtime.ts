import type { DrainCause, DrainTrigger } from '../../shared/drain/plan';
import type { LeasingContext } from '../../shared/runtime/context';
import type { PassBudget } from '../../shared/runtime/pass-budget';
import type { DrainConfig } from './config';

/** What one invocation of drain-instance works with (shared/runtime/context.ts). */
export interface DrainContext extends LeasingContext<DrainConfig> {
  /** A share of each ECS bucket this invocation may spend; the reconcile pass leaves the steps past it. */
  apiBudget?: PassBudget | undefined;
  /** Per invocation: service name -> scheduling strategy, so a loop describes each service once. */
  serviceStrategies: Map<string, string>;
  /**
   * Per container (it outlives the invocation): instance id -> epoch ms of this container's last
   * heartbeat that went through. Lets the reconcile pass heartbeat before reading the state table
   * without sending one per instance every minute.
   */
  heartbeats: Map<string, number>;
}

/** One instance to drain, with everything resolved that the events and the group say about it. */
export interface DrainTarget {
  instanceId: string;
  group: string;
  /** The lifecycle hook that is ours to complete; undefined for a Spot warning. */
  hook: string | undefined;
  cluster: string;
  trigger: DrainTrigger;
  cause: DrainCause;
  /** The lifecycle action token from the event; absent on reconcile passes (instance id identifies it). */
  token: string | undefined;
  /** Epoch ms the hook's timer is known to have (re)started: the event time, or our latest heartbeat. */
  hookTimerFrom: number | undefined;
  /** The hook's heartbeat timeout, when known: heartbeats go at least three times per timeout. */
  heartbeatTimeoutSeconds: number | undefined;
  /** The hook's DefaultResult, when read with it (setup warnings). */
  hookDefaultResult?: string | undefined;
  /** Spot: epoch ms the instance goes (the warning's time + 2 minutes). */
  interruptionAt?: number | undefined;
}

export type InstanceOutcomeKind =
  | 'completed'
  | 'waiting'
  | 'spot-drain-started'
  | 'planned'
  | 'in-progress-elsewhere'
  | 'already-completed'
  | 'action-ended'
  | 'instance-lost'
  /** Back from the warm pool: its container instance set ACTIVE again. */
  | 'reactivated'
  | 'not-ours'
  | 'ignored'
  | 'deferred'
  | 'failed';

export interface InstanceOutcome {
  instanceId: string;
  group?: string | undefined;
  cluster?: string | undefined;
  outcome: InstanceOutcomeKind;
  reason?: string | undefined;
  verdict?: string | undefined;
  remainingTasks?: number | undefined;
  passes?: number | undefined;
  standaloneTasksStopped?: number | undefined;
  /** Dry run: what would be done. */
  plan?: unknown;
}

/** Keys on every log line about one instance. */
export function instanceKeys(
  target: Pick<DrainTarget, 'instanceId' | 'group' | 'cluster'> & Partial<DrainTarget>,
) {
  return {
    instanceId: target.instanceId,
    autoScalingGroup: target.group,
    cluster: target.cluster,
    ...(target.hook ? { lifecycleHook: target.hook } : {}),
    ...(target.cause ? { cause: target.cause } : {}),
  };
}
