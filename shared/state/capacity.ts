/**
 * What scale-capacity keeps between passes, in the project's state table. Everything else is read
 * from ECS and Auto Scaling each pass.
 *
 * | pk | sk | what |
 * |---|---|---|
 * | `capacity#<cluster>` | `<capacityProvider>#<job>#<due>` | capacity requests (written by run-scheduled-task) |
 * | `capacity#<cluster>#idle` | `<capacityProvider>#<instanceId>` | since when an instance has had no non-daemon task; when its removal started |
 * | `capacity#<cluster>#stall` | `<capacityProvider>#<source>` | demand ECS failed to place where the plan said it fits |
 * | `capacity#<cluster>#types` | `<capacityProvider>` | the group's instance types and what they registered, for a group at zero |
 * | `capacity#<cluster>#launch` | `<capacityProvider>` | when the desired capacity was last raised while launches were failing |
 * | `capacity#<cluster>#seen` | `<capacityProvider>#<instanceId>` | when an unregistered instance whose launch time Auto Scaling did not give was first seen |
 * | `capacity#<cluster>#agent` | `<capacityProvider>#<instanceId>` | when an instance's ECS agent was first seen disconnected |
 */
import { DeleteCommand, PutCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { dynamodb } from '../aws/dynamodb';
import { call, kindOf } from '../aws/errors';
import type { InstanceTypeResources } from '../capacity/snapshot';

const DAY = 86_400;
export const IDLE_MARKER_TTL_SECONDS = 7 * DAY;
export const STALL_MARKER_TTL_SECONDS = 15 * 60;
export const TYPES_TTL_SECONDS = 90 * DAY;
export const SEEN_MARKER_TTL_SECONDS = 2 * DAY;

export const keys = {
  requests: (cluster: string) => `capacity#${cluster}`,
  idle: (cluster: string) => `capacity#${cluster}#idle`,
  stall: (cluster: string) => `capacity#${cluster}#stall`,
  types: (cluster: string) => `capacity#${cluster}#types`,
  launch: (cluster: string) => `capacity#${cluster}#launch`,
  seen: (cluster: string) => `capacity#${cluster}#seen`,
  agent: (cluster: string) => `capacity#${cluster}#agent`,
};

/** Markers of "first seen so": an unregistered instance without launch activity, a disconnected agent. */
export type FirstSeenKind = 'seen' | 'agent';

type Item = Record<string, unknown>;

async function query(table: string, pk: string, skPrefix?: string): Promise<Item[]> {
  const items: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const input: QueryCommandInput = {
      TableName: table,
      KeyConditionExpression: skPrefix ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk, ...(skPrefix ? { ':prefix': skPrefix } : {}) },
      ...(start ? { ExclusiveStartKey: start } : {}),
    };
    const page = await call('dynamodb:Query', `${table}/${pk}`, () => dynamodb.send(new QueryCommand(input)));
    items.push(...((page.Items as Item[] | undefined) ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** DynamoDB deletes expired items lazily (within days): expired ones are skipped here. */
const live = (item: Item, now: number) => typeof item.ttl !== 'number' || item.ttl * 1000 > now;

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
  const items = await query(table, keys.requests(cluster));
  return items
    .filter((item) => live(item, now))
    .filter((item) => {
      const provider = String(item.capacityProvider ?? String(item.sk).split('#')[0]);
      return provider === capacityProvider || (wildcard && provider === '*');
    })
    .map((item) => ({
      sk: String(item.sk),
      capacityProvider: String(item.capacityProvider ?? ''),
      jobName: String(item.jobName ?? String(item.sk).split('#')[1] ?? 'job'),
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
  const items = await query(table, keys.idle(cluster), `${capacityProvider}#`);
  return new Map(
    items
      .filter((item) => live(item, now) && typeof item.since === 'string')
      .map((item) => [
        String(item.sk).slice(capacityProvider.length + 1),
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
  await call('dynamodb:PutItem', `${table}/${keys.idle(cluster)}`, () =>
    dynamodb.send(
      new PutCommand({
        TableName: table,
        Item: {
          pk: keys.idle(cluster),
          sk: `${capacityProvider}#${instanceId}`,
          since,
          removingAt,
          ttl: Math.floor(now / 1000) + IDLE_MARKER_TTL_SECONDS,
        },
      }),
    ),
  );
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
  await putIfAbsent(table, {
    pk: keys.idle(cluster),
    sk: `${capacityProvider}#${instanceId}`,
    since,
    ttl: Math.floor(now / 1000) + IDLE_MARKER_TTL_SECONDS,
  });
}

export async function deleteIdleMarker(
  table: string,
  cluster: string,
  capacityProvider: string,
  instanceId: string,
): Promise<void> {
  await remove(table, keys.idle(cluster), `${capacityProvider}#${instanceId}`);
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
  const items = await query(table, keys.stall(cluster), `${capacityProvider}#`);
  return new Map(
    items
      .filter((item) => live(item, now))
      .map((item) => {
        const source = String(item.sk).slice(capacityProvider.length + 1);
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
  await call('dynamodb:PutItem', `${table}/${keys.stall(cluster)}`, () =>
    dynamodb.send(
      new PutCommand({
        TableName: table,
        Item: {
          pk: keys.stall(cluster),
          sk: `${capacityProvider}#${marker.source}`,
          since: marker.since,
          reason: marker.reason,
          confirmed: marker.confirmed,
          ...(marker.confirmedAt ? { confirmedAt: marker.confirmedAt } : {}),
          ...(marker.unplaceableAt ? { unplaceableAt: marker.unplaceableAt } : {}),
          ttl: Math.floor(now / 1000) + STALL_MARKER_TTL_SECONDS,
        },
      }),
    ),
  );
}

export async function deleteStallMarker(
  table: string,
  cluster: string,
  capacityProvider: string,
  source: string,
): Promise<void> {
  await remove(table, keys.stall(cluster), `${capacityProvider}#${source}`);
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
  const items = await query(table, keys.types(cluster), capacityProvider);
  const item = items.find((candidate) => candidate.sk === capacityProvider && live(candidate, now));
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
  await call('dynamodb:PutItem', `${table}/${keys.types(cluster)}`, () =>
    dynamodb.send(
      new PutCommand({
        TableName: table,
        Item: {
          pk: keys.types(cluster),
          sk: capacityProvider,
          instanceTypes: types.instanceTypes,
          resources: types.resources,
          ttl: Math.floor(now / 1000) + TYPES_TTL_SECONDS,
        },
      }),
    ),
  );
}

async function putIfAbsent(table: string, item: Item & { pk: string; sk: string }): Promise<void> {
  try {
    await call('dynamodb:PutItem', `${table}/${item.pk}/${item.sk}`, () =>
      dynamodb.send(
        new PutCommand({ TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
      ),
    );
  } catch (error) {
    if (kindOf(error) === 'conflict') return;
    throw error;
  }
}

async function remove(table: string, pk: string, sk: string): Promise<void> {
  await call('dynamodb:DeleteItem', `${table}/${pk}/${sk}`, () =>
    dynamodb.send(new DeleteCommand({ TableName: table, Key: { pk, sk } })),
  );
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
  const items = await query(table, keys.launch(cluster), capacityProvider);
  const item = items.find((candidate) => candidate.sk === capacityProvider && live(candidate, now));
  return typeof item?.raisedAt === 'string' ? item.raisedAt : undefined;
}

export async function putFailingRaise(
  table: string,
  cluster: string,
  capacityProvider: string,
  raisedAt: string,
  now: number,
): Promise<void> {
  await call('dynamodb:PutItem', `${table}/${keys.launch(cluster)}`, () =>
    dynamodb.send(
      new PutCommand({
        TableName: table,
        Item: {
          pk: keys.launch(cluster),
          sk: capacityProvider,
          raisedAt,
          ttl: Math.floor(now / 1000) + DAY,
        },
      }),
    ),
  );
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
  const items = await query(table, keys[kind](cluster), `${capacityProvider}#`);
  return new Map(
    items
      .filter((item) => live(item, now) && typeof item.since === 'string')
      .map((item) => [String(item.sk).slice(capacityProvider.length + 1), String(item.since)]),
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
  await putIfAbsent(table, {
    pk: keys[kind](cluster),
    sk: `${capacityProvider}#${instanceId}`,
    since,
    ttl: Math.floor(now / 1000) + SEEN_MARKER_TTL_SECONDS,
  });
}

export async function deleteSeenMarker(
  table: string,
  cluster: string,
  capacityProvider: string,
  instanceId: string,
  kind: FirstSeenKind = 'seen',
): Promise<void> {
  await remove(table, keys[kind](cluster), `${capacityProvider}#${instanceId}`);
}

/** A disconnected agent's marker lapses this long after the last pass that saw it disconnected. */
export const AGENT_MARKER_TTL_SECONDS = 15 * 60;

/** Renewed each pass while the agent stays disconnected (overwrite, the first `since` kept). */
export async function putAgentMarker(
  table: string,
  cluster: string,
  capacityProvider: string,
  instanceId: string,
  since: string,
  now: number,
): Promise<void> {
  await call('dynamodb:PutItem', `${table}/${keys.agent(cluster)}`, () =>
    dynamodb.send(
      new PutCommand({
        TableName: table,
        Item: {
          pk: keys.agent(cluster),
          sk: `${capacityProvider}#${instanceId}`,
          since,
          ttl: Math.floor(now / 1000) + AGENT_MARKER_TTL_SECONDS,
        },
      }),
    ),
  );
}
