/**
 * Auto Scaling instance refresh, rolling, terminate then launch ("Use an instance refresh to update
 * instances in an Auto Scaling group", Amazon EC2 Auto Scaling User Guide): the instances in service
 * when it starts are replaced in batches that keep MinHealthyPercentage (default 90, at least one
 * at a time) of the group healthy; a batch starts once the group has no instance launching or
 * terminating. ScaleInProtectedInstances: `Wait` (the default) waits for protection to be removed and
 * fails after an hour, `Ignore` skips protected instances, `Refresh` replaces them anyway. One refresh
 * per group at a time (InstanceRefreshInProgress). Bake time and checkpoints are not modelled.
 */
import { AwsApiError } from './errors';
import type { Ec2InstanceRecord } from './types';

export type RefreshStatus = 'InProgress' | 'Successful' | 'Failed' | 'Cancelled';

export interface InstanceRefreshRecord {
  id: string;
  groupName: string;
  status: RefreshStatus;
  statusReason?: string;
  startedAt: number;
  endedAt?: number;
  minHealthyPercentage: number;
  scaleInProtectedInstances: 'Refresh' | 'Ignore' | 'Wait';
  /** Instances in service when it started: those it replaces. */
  toReplace: string[];
  replaced: string[];
  /** Since when only protected instances are left to replace (Wait). */
  waitingSince?: number;
}

export interface RefreshPreferences {
  minHealthyPercentage?: number;
  scaleInProtectedInstances?: InstanceRefreshRecord['scaleInProtectedInstances'];
}

/** What the refresh needs of the world. */
export interface RefreshWorld {
  now(): number;
  newId(): string;
  instances(groupName: string): Ec2InstanceRecord[];
  /** Terminates an instance without lowering the desired capacity (Auto Scaling launches its replacement). */
  replace(instanceId: string, cause: string): void;
  after(ms: number, label: string, run: () => void): void;
}

export const REFRESH_STEP_MS = 15_000;
/** With ScaleInProtectedInstances Wait, how long it waits for protection to be removed before failing. */
export const PROTECTED_WAIT_MS = 3_600_000;

export function startInstanceRefresh(
  world: RefreshWorld,
  refreshes: InstanceRefreshRecord[],
  groupName: string,
  preferences: RefreshPreferences = {},
): InstanceRefreshRecord {
  if (refreshes.some((refresh) => refresh.groupName === groupName && refresh.status === 'InProgress')) {
    throw new AwsApiError(
      'InstanceRefreshInProgress',
      'An Instance Refresh is already in progress and blocks the execution of this Instance Refresh.',
    );
  }
  const record: InstanceRefreshRecord = {
    id: world.newId(),
    groupName,
    status: 'InProgress',
    startedAt: world.now(),
    minHealthyPercentage: preferences.minHealthyPercentage ?? 90,
    scaleInProtectedInstances: preferences.scaleInProtectedInstances ?? 'Wait',
    toReplace: world
      .instances(groupName)
      .filter((instance) => instance.lifecycleState === 'InService')
      .map((instance) => instance.instanceId),
    replaced: [],
  };
  refreshes.push(record);
  const step = () => {
    advanceRefresh(world, record);
    if (record.status === 'InProgress') world.after(REFRESH_STEP_MS, `refresh ${record.id}`, step);
  };
  step();
  return record;
}

function advanceRefresh(world: RefreshWorld, record: InstanceRefreshRecord): void {
  const instances = world.instances(record.groupName);
  if (
    instances.some(
      (instance) => instance.lifecycleState !== 'InService' && instance.lifecycleState !== 'Terminated',
    )
  ) {
    return; // a batch (or a scaling activity) is still under way
  }
  const inService = new Map(instances.map((instance) => [instance.instanceId, instance]));
  let left = record.toReplace.filter((id) => inService.has(id) && !record.replaced.includes(id));
  if (record.scaleInProtectedInstances === 'Ignore') {
    left = left.filter((id) => !inService.get(id)?.protectedFromScaleIn);
  }
  if (left.length === 0) {
    record.status = 'Successful';
    record.endedAt = world.now();
    delete record.statusReason;
    return;
  }
  const candidates =
    record.scaleInProtectedInstances === 'Refresh'
      ? left
      : left.filter((id) => !inService.get(id)?.protectedFromScaleIn);
  if (candidates.length === 0) {
    record.waitingSince ??= world.now();
    if (world.now() - record.waitingSince >= PROTECTED_WAIT_MS) {
      record.status = 'Failed';
      record.endedAt = world.now();
      record.statusReason = `Instance refresh failed: waited an hour for scale-in protection to be removed from ${left.join(', ')}.`;
    } else {
      record.statusReason = `Waiting for scale-in protection to be removed from ${left.join(', ')}.`;
    }
    return;
  }
  delete record.waitingSince;
  delete record.statusReason;
  const batch = Math.max(1, Math.floor((instances.length * (100 - record.minHealthyPercentage)) / 100));
  for (const id of candidates.slice(0, batch)) {
    record.replaced.push(id);
    world.replace(id, `an instance refresh (${record.id}) replacing the instance`);
  }
}

export function percentageComplete(record: InstanceRefreshRecord): number {
  if (record.status === 'Successful') return 100;
  return record.toReplace.length === 0
    ? 0
    : Math.floor((100 * record.replaced.length) / record.toReplace.length);
}
