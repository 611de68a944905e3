/**
 * What scale-capacity keeps between passes, in the project's state table (keys in ./keys.ts), and its
 * reading of run-scheduled-task's capacity requests. Everything else is read from ECS and Auto Scaling
 * each pass.
 *
 * | pk | sk | what |
 * |---|---|---|
 * | `capacity#<cluster>` | `<capacityProvider>#<job>#<due>` | capacity requests (written by run-scheduled-task, ./jobs/capacity-requests.ts) |
 * | `capacity#<cluster>#idle` | `<capacityProvider>#<instanceId>` | since when an instance has had no non-daemon task; when its removal started |
 * | `capacity#<cluster>#stall` | `<capacityProvider>#<source>` | demand ECS failed to place where the plan said it fits |
 * | `capacity#<cluster>#types` | `<capacityProvider>` | the group's instance types and what they registered, for a group at zero |
 * | `capacity#<cluster>#launch` | `<capacityProvider>` | when the desired capacity was last raised while launches were failing |
 * | `capacity#<cluster>#seen` | `<capacityProvider>#<instanceId>` | when an unregistered instance whose launch time Auto Scaling did not give was first seen |
 * | `capacity#<cluster>#agent` | `<capacityProvider>#<instanceId>` | when an instance's ECS agent was first seen disconnected |
 */
import { deleteItem, putItem, queryItems } from '../aws/dynamodb';
import type { InstanceTypeResources } from '../capacity/snapshot';
import {
  type CapacityMarkerKind,
  capacityMarkerKey,
  capacityMarkerPk,
  capacityRequestsPk,
  parseCapacityRequestSk,
  subjectOfMarkerSk,
} from './keys';
import { putUnlessExists } from './primitives';
import { dynamoTable, type Item } from './table';
import { isLive, TTL_SECONDS, ttlAt } from './ttl';

export const IDLE_MARKER_TTL_SECONDS = TTL_SECONDS.idleMarker;
export const STALL_MARKER_TTL_SECONDS = TTL_SECONDS.stallMarker;
export const TYPES_TTL_SECONDS = TTL_SECONDS.rememberedTypes;
export const SEEN_MARKER_TTL_SECONDS = TTL_SECONDS.seenMarker;
/** A disconnected agent's marker lapses this long after the last pass that saw it disconnected. */
export const AGENT_MARKER_TTL_SECONDS = TTL_SECONDS.agentMarker;

/** Markers of "first seen so": an unregistered instance without launch activity, a disconnected agent. */
export type FirstSeenKind = 'seen' | 'agent';

const tableOf = (name: string) => dynamoTable(name, { query: queryItems, put: putItem, delete: deleteItem });

/** The items of a partition, those whose sk starts with `skPrefix` when given. */
function query(table: string, pk: string, skPrefix?: string): Promise<Item[]> {
  return tableOf(table).query({
    KeyConditionExpression: skPrefix ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk',
    ExpressionAttributeValues: { ':pk': pk, ...(skPrefix ? { ':prefix': skPrefix } : {}) },
  });
}

/** A provider's markers of one kind, live ones only (DynamoDB deletes expired items lazily, within days). */
async function liveMarkers(
  table: string,
  cluster: string,
  kind: CapacityMarkerKind,
  capacityProvider: string,
  now: number,
) {
  const items = await query(table, capacityMarkerPk(cluster, kind), `${capacityProvider}#`);
  return items.filter((item) => isLive(item, now));
}

/** A provider's one item of a kind (types, launch), if live. */
async function liveItem(
  table: string,
  cluster: string,
  kind: CapacityMarkerKind,
  capacityProvider: string,
  now: number,
) {
  const items = await query(table, capacityMarkerPk(cluster, kind), capacityProvider);
  return items.find((candidate) => candidate.sk === capacityProvider && isLive(candidate, now));
}

async function putMarker(table: string, item: Item & { pk: string; sk: string }): Promise<void> {
  await tableOf(table).put({ Item: item });
}

async function remove(table: string, key: { pk: string; sk: string }): Promise<void> {
  await tableOf(table).delete({ Key: key });
}

export interface CapacityRequestItem {
  sk: string;
  capacityProvider: string;
  jobName: string;
  due: string;
  cpu: number;
  memoryMiB: number;
  gpus: number;
  count: number;
  taskDefinition: string | undefined;
}

/** Requests for this provider, and for `*` (any group of the cluster) when `wildcard` is set. */
export async function readCapacityRequests(
  table: string,
  cluster: string,
  capacityProvider: string,
  wildcard: boolean,
  now: number,
): Promise<CapacityRequestItem[]> {
  const items = await query(table, capacityRequestsPk(cluster));
  return items
    .filter((item) => isLive(item, now))
    .filter((item) => {
      const provider = String(item.capacityProvider ?? parseCapacityRequestSk(item.sk).capacityProvider);
      return provider === capacityProvider || (wildcard && provider === '*');
    })
    .map((item) => ({
      sk: String(item.sk),
      capacityProvider: String(item.capacityProvider ?? ''),
      jobName: String(item.jobName ?? parseCapacityRequestSk(item.sk).jobName ?? 'job'),
      due: String(item.due ?? ''),
      cpu: Number(item.cpu ?? 0),
      memoryMiB: Number(item.memoryMiB ?? 0),
      gpus: Number(item.gpus ?? 0),
      count: Math.max(0, Math.floor(Number(item.count ?? 1))),
      taskDefinition: typeof item.taskDefinition === 'string' ? item.taskDefinition : undefined,
    }))
    .filter((request) => request.count > 0);
}

export interface IdleMarker {
  /** When it was first seen idle (ISO). */
  since: string;
  /** When scale-capacity set it DRAINING to remove it (ISO): a pass cut short before the removal left it so. */
  removingAt?: string;
}

/** instance id -> since when it has been idle, and whether its removal was started. */
export async function readIdleMarkers(
  table: string,
  cluster: string,
  capacityProvider: string,
  now: number,
): Promise<Map<string, IdleMarker>> {
  const items = await liveMarkers(table, cluster, 'idle', capacityProvider, now);
  return new Map(
    items
      .filter((item) => typeof item.since === 'string')
      .map((item) => [
        subjectOfMarkerSk(item.sk, capacityProvider),
        {
          since: String(item.since),
          ...(typeof item.removingAt === 'string' ? { removingAt: item.removingAt } : {}),
        },
      ]),
  );
}

/**
 * Written before the instance is set DRAINING for its removal, so a pass that stops between the two
 * (timeout, crash) is finished by the next one instead of leaving an idle instance DRAINING for ever.
 */
export async function putRemovingMarker(
  table: string,
  cluster: string,
  capacityProvider: string,
  instanceId: string,
  since: string,
  removingAt: string,
  now: number,
): Promise<void> {
  await putMarker(table, {
    ...capacityMarkerKey(cluster, 'idle', capacityProvider, instanceId),
    since,
    removingAt,
    ttl: ttlAt(now, IDLE_MARKER_TTL_SECONDS),
  });
}

/** First writer wins: a marker already there keeps its older time. */
export async function putIdleMarker(
  table: string,
  cluster: string,
  capacityProvider: string,
  instanceId: string,
  since: string,
  now: number,
): Promise<void> {
  await putUnlessExists(tableOf(table), {
    ...capacityMarkerKey(cluster, 'idle', capacityProvider, instanceId),
    since,
    ttl: ttlAt(now, IDLE_MARKER_TTL_SECONDS),
  });
}

export async function deleteIdleMarker(
  table: string,
  cluster: string,
  capacityProvider: string,
  instanceId: string,
): Promise<void> {
  await remove(table, capacityMarkerKey(cluster, 'idle', capacityProvider, instanceId));
}

export interface StallMarker {
  source: string;
  since: string;
  reason: string;
  /** Seen twice, a retry apart: only then are the source's tasks planned on new instances. */
  confirmed: boolean;
  /** When it was confirmed (ISO): instances registered since then were launched for it. */
  confirmedAt?: string | undefined;
  /** When ECS still failed after instances launched for it registered (ISO): reported, not scaled for. */
  unplaceableAt?: string | undefined;
}

export async function readStallMarkers(
  table: string,
  cluster: string,
  capacityProvider: string,
  now: number,
): Promise<Map<string, StallMarker>> {
  const items = await liveMarkers(table, cluster, 'stall', capacityProvider, now);
  return new Map(
    items.map((item) => {
      const source = subjectOfMarkerSk(item.sk, capacityProvider);
      return [
        source,
        {
          source,
          since: String(item.since ?? ''),
          reason: String(item.reason ?? ''),
          confirmed: item.confirmed === true,
          ...(typeof item.confirmedAt === 'string' ? { confirmedAt: item.confirmedAt } : {}),
          ...(typeof item.unplaceableAt === 'string' ? { unplaceableAt: item.unplaceableAt } : {}),
        },
      ];
    }),
  );
}

/** Renewed on every failure ECS reports, so it lasts while ECS keeps failing and then lapses. */
export async function putStallMarker(
  table: string,
  cluster: string,
  capacityProvider: string,
  marker: StallMarker,
  now: number,
): Promise<void> {
  await putMarker(table, {
    ...capacityMarkerKey(cluster, 'stall', capacityProvider, marker.source),
    since: marker.since,
    reason: marker.reason,
    confirmed: marker.confirmed,
    ...(marker.confirmedAt ? { confirmedAt: marker.confirmedAt } : {}),
    ...(marker.unplaceableAt ? { unplaceableAt: marker.unplaceableAt } : {}),
    ttl: ttlAt(now, STALL_MARKER_TTL_SECONDS),
  });
}

export async function deleteStallMarker(
  table: string,
  cluster: string,
  capacityProvider: string,
  source: string,
): Promise<void> {
  await remove(table, capacityMarkerKey(cluster, 'stall', capacityProvider, source));
}

export interface RememberedTypes {
  instanceTypes: string[];
  resources: Record<string, InstanceTypeResources>;
}

export async function readRememberedTypes(
  table: string,
  cluster: string,
  capacityProvider: string,
  now: number,
): Promise<RememberedTypes | undefined> {
  const item = await liveItem(table, cluster, 'types', capacityProvider, now);
  if (!item || !Array.isArray(item.instanceTypes)) return undefined;
  return {
    instanceTypes: item.instanceTypes.map(String),
    resources: (item.resources ?? {}) as Record<string, InstanceTypeResources>,
  };
}

export async function putRememberedTypes(
  table: string,
  cluster: string,
  capacityProvider: string,
  types: RememberedTypes,
  now: number,
): Promise<void> {
  await putMarker(table, {
    ...capacityMarkerKey(cluster, 'types', capacityProvider),
    instanceTypes: types.instanceTypes,
    resources: types.resources,
    ttl: ttlAt(now, TYPES_TTL_SECONDS),
  });
}

/**
 * When scale-capacity last raised the group's desired capacity while its launches were failing: read
 * only while they fail, so it costs nothing otherwise. Kept one day (the raise only matters for a
 * boot timeout).
 */
export async function readFailingRaise(
  table: string,
  cluster: string,
  capacityProvider: string,
  now: number,
): Promise<string | undefined> {
  const item = await liveItem(table, cluster, 'launch', capacityProvider, now);
  return typeof item?.raisedAt === 'string' ? item.raisedAt : undefined;
}

export async function putFailingRaise(
  table: string,
  cluster: string,
  capacityProvider: string,
  raisedAt: string,
  now: number,
): Promise<void> {
  await putMarker(table, {
    ...capacityMarkerKey(cluster, 'launch', capacityProvider),
    raisedAt,
    ttl: ttlAt(now, TTL_SECONDS.failingRaise),
  });
}

/**
 * instance id -> ISO time an unregistered instance was first seen without a launch activity. Its
 * launch time is unknown; this is the latest it can have been, so a boot timeout counted from it
 * never ends early.
 */
export async function readSeenMarkers(
  table: string,
  cluster: string,
  capacityProvider: string,
  now: number,
  kind: FirstSeenKind = 'seen',
): Promise<Map<string, string>> {
  const items = await liveMarkers(table, cluster, kind, capacityProvider, now);
  return new Map(
    items
      .filter((item) => typeof item.since === 'string')
      .map((item) => [subjectOfMarkerSk(item.sk, capacityProvider), String(item.since)]),
  );
}

/** First writer wins: a marker already there keeps its older time. */
export async function putSeenMarker(
  table: string,
  cluster: string,
  capacityProvider: string,
  instanceId: string,
  since: string,
  now: number,
  kind: FirstSeenKind = 'seen',
): Promise<void> {
  await putUnlessExists(tableOf(table), {
    ...capacityMarkerKey(cluster, kind, capacityProvider, instanceId),
    since,
    ttl: ttlAt(now, SEEN_MARKER_TTL_SECONDS),
  });
}

export async function deleteSeenMarker(
  table: string,
  cluster: string,
  capacityProvider: string,
  instanceId: string,
  kind: FirstSeenKind = 'seen',
): Promise<void> {
  await remove(table, capacityMarkerKey(cluster, kind, capacityProvider, instanceId));
}

/** Renewed each pass while the agent stays disconnected (overwrite, the first `since` kept). */
export async function putAgentMarker(
  table: string,
  cluster: string,
  capacityProvider: string,
  instanceId: string,
  since: string,
  now: number,
): Promise<void> {
  await putMarker(table, {
    ...capacityMarkerKey(cluster, 'agent', capacityProvider, instanceId),
    since,
    ttl: ttlAt(now, AGENT_MARKER_TTL_SECONDS),
  });
}
