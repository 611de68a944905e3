/**
 * The placement-stall state machine, pure: what a placement failure ECS reports means for the
 * service's stall marker (noted, confirmed, unplaceable), and what a marker means for its demand.
 * scale-capacity reads and writes the markers (functions/scale-capacity/observe.ts and act.ts).
 */

import type { StallMarker } from '../state/capacity';
import type { PlacementSummary } from './plan';
import type { Demand } from './snapshot';

export type { StallMarker };

/**
 * How long a service that ECS cannot place even on instances launched for it stays reported (and
 * not scaled for) before a new stall is allowed to buy instances again.
 */
export const UNPLACEABLE_RETRY_MS = 15 * 60_000;

/**
 * What a service's stall marker means for its demand. Confirmed: not on the registered instances ECS
 * failed on, but on booting and requested ones, and on those registered since the confirmation
 * (launched for it). Still failing once those registered: new instances do not help (an attribute
 * the AMI lacks, a subnet out of addresses), so it is reported instead of scaled for, until
 * UNPLACEABLE_RETRY_MS have passed.
 */
export function applyStall(item: Demand, marker: StallMarker | undefined, now: number): void {
  item.newInstancesOnly = false;
  delete item.newInstancesSince;
  delete item.unplaceable;
  if (!marker?.confirmed) return;
  const confirmedAt = marker.confirmedAt ?? marker.since;
  const unplaceableAt = marker.unplaceableAt ? Date.parse(marker.unplaceableAt) : Number.NaN;
  if (now - unplaceableAt < UNPLACEABLE_RETRY_MS) {
    const retry = new Date(unplaceableAt + UNPLACEABLE_RETRY_MS).toISOString();
    item.unplaceable = `ECS keeps failing to place it (${marker.reason || 'placement failure'}) even on instances launched for it since ${confirmedAt}; new instances do not help (requiresAttributes, subnet addresses, ...): not scaled for until ${retry}`;
    return;
  }
  item.newInstancesOnly = true;
  if (!Number.isNaN(Date.parse(confirmedAt))) item.newInstancesSince = new Date(confirmedAt).toISOString();
}

/** ECS retries a service's placement about once a minute: a second failure this much later confirms. */
const RETRY_SECONDS = 50;

/** A service placement failure ECS reported (SERVICE_TASK_PLACEMENT_FAILURE). */
export interface PlacementFailure {
  service: string;
  reason?: string | undefined;
}

/**
 * A placement failure for a service whose tasks the plan puts on registered instances means ECS may
 * know something the snapshot does not (ENIs in use, required attributes). The first one is only
 * noted (the room may have appeared since); a second, after ECS's retry, with the plan unchanged,
 * confirms it: the service's tasks are then planned on new instances (booting and requested ones
 * count) until it has none left to place. If ECS still fails once instances registered after the
 * confirmation (launched for it) and it has retried since, new instances do not help: the service
 * is reported as unplaceable instead of scaled for, and retried from scratch UNPLACEABLE_RETRY_MS later.
 */
export function stallsAfter(
  failure: PlacementFailure | undefined,
  placements: readonly Pick<PlacementSummary, 'sources' | 'onRegistered'>[],
  markers: ReadonlyMap<string, StallMarker>,
  instances: readonly { registeredAt?: string | undefined }[],
  now: number,
): StallMarker[] {
  if (!failure) return [];
  const source = `service:${failure.service}`;
  const at = new Date(now).toISOString();
  const known = markers.get(source);
  const reason = failure.reason ?? known?.reason ?? 'placement failure';
  if (known?.unplaceableAt) {
    if (now - Date.parse(known.unplaceableAt) < UNPLACEABLE_RETRY_MS) return [{ ...known, reason }];
    return [{ source, since: at, reason, confirmed: false }];
  }
  const placement = placements.find((item) => item.sources.includes(source));
  if (!placement) return [];
  if (known?.confirmed) {
    const confirmedAt = Date.parse(known.confirmedAt ?? known.since);
    const launchedForIt = instances.some((instance) => {
      const registeredAt = instance.registeredAt ? Date.parse(instance.registeredAt) : Number.NaN;
      return registeredAt >= confirmedAt && now - registeredAt >= RETRY_SECONDS * 1000;
    });
    // The plan can only put a confirmed stall's tasks on instances registered since the confirmation.
    if (placement.onRegistered > 0 && launchedForIt) return [{ ...known, reason, unplaceableAt: at }];
    return [{ ...known, reason }];
  }
  if (placement.onRegistered === 0) return [];
  if (!known) return [{ source, since: at, reason, confirmed: false }];
  const confirmed = now - Date.parse(known.since) >= RETRY_SECONDS * 1000;
  return [{ ...known, reason, confirmed, ...(confirmed ? { confirmedAt: at } : {}) }];
}

/** Whether a marker's state moved (confirmed, unplaceable): only then is the plan made again. */
export const stallChanged = (stall: StallMarker, known: StallMarker | undefined) =>
  stall.confirmed !== (known?.confirmed ?? false) || stall.unplaceableAt !== known?.unplaceableAt;
