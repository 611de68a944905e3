/** What scale-capacity's planner returns: the plan as data, with its parts and reasons. */
import type { ForeseenRun } from './foresight';
import type { LaunchType } from './launch-type';
import type { BoundKind } from './lower-bound';
import type { MemberOf } from './packing';
import type { LaunchFailure, Shape } from './snapshot';
import type { WarmPoolUse } from './warm-pool';

export interface PlacementSummary {
  key: string;
  sources: string[];
  shape: Shape;
  distinctInstance: boolean;
  memberOf?: string;
  count: number;
  onRegistered: number;
  onLaunching: number;
  onNew: number;
  unplaced: number;
  /** With a memberOf: the zones of the group where a new instance can take these tasks. */
  zones?: string[];
  /**
   * With a memberOf and tasks on new instances: which new instance of this plan (1 = the first
   * Auto Scaling launches, in its zone order) first takes one; more than 1 when the instances
   * before it land in zones the constraint excludes.
   */
  launchesToReach?: number;
}

export type RemovalReason = 'idle' | 'consolidation' | 'never-registered';

export interface Removal {
  instanceId: string;
  arn?: string;
  availabilityZone?: string;
  reason: RemovalReason;
  detail: string;
}

export type UnplaceableKind = 'too-large' | 'host-port' | 'constraint' | 'placement-failure';

export interface Unplaceable {
  key: string;
  sources: string[];
  count: number;
  kind: UnplaceableKind;
  reason: string;
}

export interface CapacityPlan {
  cluster: string;
  capacityProvider: string;
  group: string;
  at: string;
  demand: { tasks: number; shapes: number; headroomTasks: number };
  placements: PlacementSummary[];
  totals: { onRegistered: number; onLaunching: number; onNew: number; unplaced: number };
  instances: {
    /** Registered, ACTIVE, agent connected (InService or still Pending): what ECS can place on now. */
    usable: number;
    /** Launched, not registered yet, within the boot timeout. */
    launching: number;
    /** Desired capacity the group has not launched yet. */
    requested: number;
    /** Launched more than the boot timeout ago and never registered. */
    stuck: number;
    /** In the group but not usable (DRAINING, agent disconnected, terminating). */
    unusable: number;
  };
  /** New instances the simulation needs (before min/max and the step limit). */
  newInstances: number;
  newInstancesByZone: Record<string, number>;
  lowerBound: number;
  lowerBoundBy: BoundKind | 'none';
  gap: number;
  currentDesired: number;
  limits: { min: number; max: number };
  /** The desired capacity after this pass's removals and scale-out. */
  desiredCapacity: number;
  scaleOut: number;
  /**
   * What held the scale-out back: the group's maximum, the step, a suspended Launch process, or
   * launches failing (the desired capacity was raised less than the boot timeout ago while they fail).
   */
  limitedBy: 'max' | 'step' | 'launch-suspended' | 'launch-failing' | undefined;
  /**
   * Auto Scaling's launches are failing (scaling activities Failed or Cancelled since the last launch
   * that did not fail) while desired capacity is still unlaunched: that capacity is not counted as on
   * the way, and the desired capacity is raised at most once per boot timeout for it.
   */
  launchFailures?: {
    failures: LaunchFailure[];
    /** Desired capacity not launched, no longer counted as capacity on the way. */
    requested: number;
    /** The scale-out held because the desired capacity was raised less than a boot timeout ago. */
    heldScaleOut: number;
    /** This plan raises the desired capacity while launches fail: act records when. */
    recordRaise: boolean;
  };
  removals: Removal[];
  /**
   * Auto Scaling processes suspended on the group (an operator freezing it), and what they held back
   * this pass: the scale-out Launch would have needed, the removals Terminate would have made.
   */
  suspended: { processes: string[]; scaleOut: number; removals: Removal[] };
  protect: string[];
  unprotect: string[];
  idleMarkers: { set: { instanceId: string; since: string }[]; clear: string[] };
  unplaceable: Unplaceable[];
  utilization: {
    cpu: { reserved: number; registered: number };
    memoryMiB: { reserved: number; registered: number };
  };
  /** Each new instance of the plan, in launch order, and the demand sources whose tasks it is for. */
  newInstanceSources: NewInstanceSources[];
  /**
   * Scheduled jobs' runs (when the snapshot lists any): the lead time (boot + margin) and, per run,
   * the tasks planned ahead as demand this pass and why (foresight.ts).
   */
  foreseen?: { leadSeconds: number; runs: ForeseenRun[] };
  /** With a warm pool: the new instances it gives this pass, those launched cold, what it lacked. */
  warmPool?: WarmPoolUse;
  /** With a mixed instances policy: the type new instances are planned as, and why. */
  launchType?: LaunchType;
  /** Each decision in words, for the log and the table. */
  reasons: string[];
  assignments?: Assignment[];
}

export interface PlanOptions {
  compileMemberOf?: (expression: string) => MemberOf;
  /** Include every instance's simulated placements (for tests and `npm run plan -- --trace`). */
  trace?: boolean;
}

export interface NewInstanceSources {
  instanceId: string;
  instanceType: string;
  availabilityZone: string | undefined;
  /** Empty: launched only so Auto Scaling's zone order reaches a zone a later one needs. */
  sources: string[];
}

/** Where the simulation put tasks: one entry per instance (registered, booting or new) that got any. */
export interface Assignment {
  instanceId: string;
  kind: 'registered' | 'launching' | 'new';
  instanceType: string;
  availabilityZone: string | undefined;
  tasks: { key: string; count: number }[];
}

/** Auto Scaling lifecycle states that count toward the desired capacity. */
export const IN_DESIRED = /^(Pending|Pending:Wait|Pending:Proceed|InService)$/;

export const HEADROOM_SOURCE = 'headroom';
