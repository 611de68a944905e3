import { createHash } from 'node:crypto';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { batchGetItems, dynamodb } from '../../shared/aws/dynamodb';
import { AwsOperationError, call, kindOf } from '../../shared/aws/errors';
import {
  EPISODE_EXPIRY_MS,
  type Incident,
  type IncidentMember,
  type IncidentRef,
  PROBLEM_TTL_AFTER_WINDOW_SECONDS,
  ttlAt,
} from '../../shared/failed-start/decide';
import { FAILURE_OPEN_INDEX_KEY, INCIDENT_SK, incidentPk } from '../../shared/state/keys';

/**
 * The state table's incident items (one per problem: cluster, category, cause). Each holds its
 * episode's counts, its lifecycle (pending -> firing -> resolved), who is sending its message, and
 * its members (services and families) as top-level attributes `m#<hash>` (latest failure), `n#<hash>`
 * (failures) and `f#<hash>` (first failure), so a failure is counted in one UpdateItem and an incident
 * is read in one GetItem. The index item lists the incidents not yet resolved, for the periodic pass.
 */
const SK = INCIDENT_SK;
export const OPEN_INDEX_KEY = FAILURE_OPEN_INDEX_KEY;

const isConflict = (error: unknown) => kindOf(error) === 'conflict';
const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);
const memberAttributes = (group: string) => {
  const id = hash(group);
  return { member: `m#${id}`, count: `n#${id}`, first: `f#${id}` };
};

export { incidentPk };

type StoredIncident = Omit<Incident, 'members'> & Record<string, unknown>;

/** The stored item as an Incident: members gathered from their attributes. */
export function incidentOf(item: Record<string, unknown> | undefined): Incident | undefined {
  if (!item || typeof item.episode !== 'number') return undefined;
  const members: IncidentMember[] = [];
  for (const [name, value] of Object.entries(item)) {
    if (!name.startsWith('m#') || typeof value !== 'object' || value === null) continue;
    const id = name.slice(2);
    const stored = value as Omit<IncidentMember, 'failures' | 'firstFailureAt' | 'detail'> & {
      detail?: string;
    };
    members.push({
      ...stored,
      failures: Number(item[`n#${id}`] ?? 0),
      firstFailureAt: Number(item[`f#${id}`] ?? stored.lastFailureAt),
      ...(stored.detail ? { detail: JSON.parse(stored.detail) as IncidentMember['detail'] } : {}),
    } as IncidentMember);
  }
  members.sort((a, b) => a.firstFailureAt - b.firstFailureAt || a.group.localeCompare(b.group));
  const incident = Object.fromEntries(
    Object.entries(item).filter(
      ([name]) =>
        !/^[mnf]#/.test(name) && name !== 'pk' && name !== 'sk' && name !== 'ttl' && name !== 'counting',
    ),
  ) as StoredIncident;
  const counting = item.counting instanceof Set ? [...(item.counting as Set<string>)] : [];
  return {
    ...incident,
    pk: String(item.pk),
    members,
    ...(counting.length > 0 ? { counting } : {}),
  } as Incident;
}

function oldItemOf(error: unknown): Record<string, unknown> | undefined {
  const cause = error instanceof AwsOperationError ? error.cause : error;
  const item = (cause as { Item?: Parameters<typeof unmarshall>[0] } | null)?.Item;
  return item ? unmarshall(item) : undefined;
}

export async function readIncident(table: string, pk: string): Promise<Incident | undefined> {
  const { Item } = await call('dynamodb:GetItem', `${table}/${pk}`, () =>
    dynamodb.send(new GetCommand({ TableName: table, Key: { pk, sk: SK }, ConsistentRead: true })),
  );
  return incidentOf(Item);
}

/** The incidents read; one DynamoDB left unread (throttled, unprocessed) waits for the next pass. */
export async function readIncidents(table: string, pks: readonly string[]): Promise<Incident[]> {
  const { items } = await batchGetItems<Record<string, unknown>>(
    table,
    pks.map((pk) => ({ pk, sk: SK })),
  );
  return items.map(incidentOf).filter((incident): incident is Incident => incident !== undefined);
}

/** The incidents not yet resolved, with their members, for an operator's view (`npm run status`). */
export async function listOpenIncidents(table: string): Promise<Incident[]> {
  return readIncidents(table, await openIncidentPks(table));
}

/** The incidents not yet resolved, for the periodic pass. */
export async function openIncidentPks(table: string): Promise<string[]> {
  const { Item } = await call('dynamodb:GetItem', `${table}/${OPEN_INDEX_KEY.pk}`, () =>
    dynamodb.send(new GetCommand({ TableName: table, Key: OPEN_INDEX_KEY, ConsistentRead: true })),
  );
  const set = Item?.incidents as Set<string> | undefined;
  return set ? [...set] : [];
}

async function updateIndex(table: string, pk: string, action: 'ADD' | 'DELETE'): Promise<void> {
  await call('dynamodb:UpdateItem', `${table}/${OPEN_INDEX_KEY.pk}`, () =>
    dynamodb.send(
      new UpdateCommand({
        TableName: table,
        Key: OPEN_INDEX_KEY,
        UpdateExpression: `${action} incidents :pk`,
        ExpressionAttributeValues: { ':pk': new Set([pk]) },
      }),
    ),
  );
}

export interface FailureInput {
  group: string;
  family: string;
  taskArn: string;
  detail: IncidentMember['detail'];
}

export type Recorded =
  | { kind: 'joined'; incident: Incident }
  | { kind: 'opened'; incident: Incident }
  /** A failure from before the incident was resolved, read late: counted in all, no message. */
  | { kind: 'late'; incident: Incident }
  /** Counted already (its `counting` entry is there): an invocation that lost its lease meanwhile. */
  | { kind: 'counted-before'; incident: Incident };

/**
 * Counts one failure (at its stoppedAt) in its incident. Inside an open episode, one conditional
 * UpdateItem adds it (and the member's count). Otherwise (no incident, resolved, or quiet for a day)
 * a conditional PutItem opens a new episode, pending for the grouping wait, that remembers when the last
 * one ended (so its message says it recurred) but none of its counts. Racing invocations land in one
 * branch each: exactly one opens.
 *
 * Each count also adds the task to the item's `counting` set, in the same write and on condition that it
 * is not there yet: the count is idempotent per task, and a takeover of a task whose invocation died
 * after counting it finds it there (`finishCounting` removes it once the task's marker says done).
 */
export async function recordFailure(
  table: string,
  ref: IncidentRef,
  failure: FailureInput,
  at: number,
  now: number,
  options: { waitMs: number; windowSeconds: number },
): Promise<Recorded> {
  const names = memberAttributes(failure.group);
  const member = {
    group: failure.group,
    family: failure.family,
    lastTaskArn: failure.taskArn,
    lastFailureAt: at,
    ...(failure.detail ? { detail: JSON.stringify(failure.detail) } : {}),
  };
  const target = `${table}/${ref.pk}`;
  for (let attempt = 0; attempt < 4; attempt++) {
    let old: Record<string, unknown> | undefined;
    try {
      const { Attributes } = await call('dynamodb:UpdateItem', target, () =>
        dynamodb.send(
          new UpdateCommand({
            TableName: table,
            Key: { pk: ref.pk, sk: SK },
            UpdateExpression:
              'ADD failures :one, totalFailures :one, #count :one, counting :tasks SET #member = :member, #first = if_not_exists(#first, :at), lastTaskArn = :task',
            ConditionExpression:
              'attribute_exists(pk) AND #state <> :resolved AND lastFailureAt >= :staleBefore AND NOT contains(counting, :task)',
            ExpressionAttributeNames: {
              '#count': names.count,
              '#member': names.member,
              '#first': names.first,
              '#state': 'state',
            },
            ExpressionAttributeValues: {
              ':one': 1,
              ':member': member,
              ':at': at,
              ':task': failure.taskArn,
              ':tasks': new Set([failure.taskArn]),
              ':resolved': 'resolved',
              ':staleBefore': at - EPISODE_EXPIRY_MS,
            },
            ReturnValues: 'ALL_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      const incident = incidentOf(Attributes) as Incident;
      if (incident.lastFailureAt < at) await raiseLastFailure(table, ref.pk, at);
      return {
        kind: 'joined',
        incident: { ...incident, lastFailureAt: Math.max(incident.lastFailureAt, at) },
      };
    } catch (error) {
      if (!isConflict(error)) throw error;
      old = oldItemOf(error);
    }
    old ??= await getRaw(table, ref.pk);
    const previous = incidentOf(old);
    if (previous?.counting?.includes(failure.taskArn)) return { kind: 'counted-before', incident: previous };
    if (previous?.state === 'resolved' && previous.resolvedAt !== undefined && at <= previous.resolvedAt) {
      try {
        await call('dynamodb:UpdateItem', target, () =>
          dynamodb.send(
            new UpdateCommand({
              TableName: table,
              Key: { pk: ref.pk, sk: SK },
              UpdateExpression: 'ADD totalFailures :one, counting :tasks',
              ConditionExpression: 'episode = :episode AND NOT contains(counting, :task)',
              ExpressionAttributeValues: {
                ':one': 1,
                ':tasks': new Set([failure.taskArn]),
                ':task': failure.taskArn,
                ':episode': previous.episode,
              },
            }),
          ),
        );
      } catch (error) {
        if (!isConflict(error)) throw error;
        continue; // counted meanwhile, or a new episode opened: read it again
      }
      return { kind: 'late', incident: previous };
    }
    if (previous && previous.state !== 'resolved' && previous.lastFailureAt >= at - EPISODE_EXPIRY_MS)
      continue;
    const fresh = {
      pk: ref.pk,
      sk: SK,
      cluster: ref.cluster,
      clusterArn: ref.clusterArn,
      category: ref.category,
      causeKey: ref.causeKey,
      ...(ref.causeLabel ? { causeLabel: ref.causeLabel } : {}),
      episode: (previous?.episode ?? 0) + 1,
      state: 'pending',
      episodeStartedAt: at,
      lastFailureAt: at,
      failures: 1,
      totalFailures: (previous?.totalFailures ?? 0) + 1,
      notifiedFailures: 0,
      alertsSent: 0,
      dueAt: now + options.waitMs,
      lastTaskArn: failure.taskArn,
      // Carried over: a task of the last episode still being finished is not counted in this one.
      counting: new Set([...(previous?.counting ?? []), failure.taskArn]),
      ...(previous ? { recurredAfter: previous.resolvedAt ?? previous.lastFailureAt } : {}),
      [names.member]: member,
      [names.count]: 1,
      [names.first]: at,
      ttl: ttlAt(now + EPISODE_EXPIRY_MS, PROBLEM_TTL_AFTER_WINDOW_SECONDS),
    };
    try {
      await call('dynamodb:PutItem', target, () =>
        dynamodb.send(
          new PutCommand({
            TableName: table,
            Item: fresh,
            ConditionExpression: previous ? 'episode = :episode' : 'attribute_not_exists(pk)',
            ...(previous ? { ExpressionAttributeValues: { ':episode': previous.episode } } : {}),
          }),
        ),
      );
    } catch (error) {
      if (!isConflict(error)) throw error;
      continue; // another invocation opened it first: join its episode
    }
    await updateIndex(table, ref.pk, 'ADD');
    return { kind: 'opened', incident: incidentOf(fresh) as Incident };
  }
  throw new Error(`Could not count a failure for ${ref.pk}: the incident kept changing`);
}

async function getRaw(table: string, pk: string) {
  const { Item } = await call('dynamodb:GetItem', `${table}/${pk}`, () =>
    dynamodb.send(new GetCommand({ TableName: table, Key: { pk, sk: SK }, ConsistentRead: true })),
  );
  return Item;
}

/**
 * The task's marker says done: its entry in the incident's `counting` set is no longer needed (a
 * takeover now stops at the marker). Left behind, it only costs the item a few bytes.
 */
export async function finishCounting(table: string, pk: string, taskArn: string): Promise<void> {
  await call('dynamodb:UpdateItem', `${table}/${pk}`, () =>
    dynamodb.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk, sk: SK },
        UpdateExpression: 'DELETE counting :tasks',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':tasks': new Set([taskArn]) },
      }),
    ),
  ).catch((error: unknown) => {
    if (!isConflict(error)) throw error;
  });
}

/** lastFailureAt only moves forward (events come in any order). */
async function raiseLastFailure(table: string, pk: string, at: number): Promise<void> {
  try {
    await call('dynamodb:UpdateItem', `${table}/${pk}`, () =>
      dynamodb.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk, sk: SK },
          UpdateExpression: 'SET lastFailureAt = :at',
          ConditionExpression: 'lastFailureAt < :at',
          ExpressionAttributeValues: { ':at': at },
        }),
      ),
    );
  } catch (error) {
    if (!isConflict(error)) throw error;
  }
}

/**
 * Takes the right to send the incident's next message, for a short lease: its firing or repeat message
 * once due, or its resolved message when no failure came since `quietAt` was read. Undefined when
 * another invocation holds it, it is not due, or a failure came meanwhile.
 */
export async function claimMessage(
  table: string,
  incident: Pick<Incident, 'pk' | 'episode'>,
  owner: string,
  now: number,
  leaseMs: number,
  when: { due: true } | { quietAt: number },
): Promise<Incident | undefined> {
  const condition =
    'episode = :episode AND #state <> :resolved AND (attribute_not_exists(sendingUntil) OR sendingUntil < :now) AND ' +
    ('due' in when ? 'dueAt <= :now' : 'lastFailureAt = :quietAt');
  try {
    const { Attributes } = await call('dynamodb:UpdateItem', `${table}/${incident.pk}`, () =>
      dynamodb.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: incident.pk, sk: SK },
          UpdateExpression: 'SET sendingBy = :owner, sendingUntil = :until',
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':episode': incident.episode,
            ':resolved': 'resolved',
            ':now': now,
            ':owner': owner,
            ':until': now + leaseMs,
            ...('quietAt' in when ? { ':quietAt': when.quietAt } : {}),
          },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return incidentOf(Attributes);
  } catch (error) {
    if (isConflict(error)) return undefined;
    throw error;
  }
}

/** The message went out: record it and when the next may go. */
export async function finishMessage(
  table: string,
  incident: Pick<Incident, 'pk' | 'episode'>,
  owner: string,
  sent:
    | { kind: 'firing'; at: number; told: number; alertsSent: number; nextDueAt: number; subject: string }
    | { kind: 'resolved'; at: number },
): Promise<void> {
  const values =
    sent.kind === 'firing'
      ? {
          ':state': 'firing',
          ':at': sent.at,
          ':told': sent.told,
          ':sent': sent.alertsSent,
          ':due': sent.nextDueAt,
          ':subject': sent.subject,
        }
      : { ':state': 'resolved', ':at': sent.at };
  const expression =
    sent.kind === 'firing'
      ? 'SET #state = :state, lastAlertAt = :at, notifiedFailures = :told, alertsSent = :sent, dueAt = :due, subject = if_not_exists(subject, :subject) REMOVE sendingBy, sendingUntil'
      : 'SET #state = :state, resolvedAt = :at REMOVE sendingBy, sendingUntil';
  await call('dynamodb:UpdateItem', `${table}/${incident.pk}`, () =>
    dynamodb.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: incident.pk, sk: SK },
        UpdateExpression: expression,
        ConditionExpression: 'sendingBy = :owner AND episode = :episode',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ...values, ':owner': owner, ':episode': incident.episode },
      }),
    ),
  );
  if (sent.kind === 'resolved') await updateIndex(table, incident.pk, 'DELETE');
}

/** Publishing failed: give the message back at once, so a retry or the next pass sends it. */
export async function releaseMessage(table: string, pk: string, owner: string): Promise<void> {
  try {
    await call('dynamodb:UpdateItem', `${table}/${pk}`, () =>
      dynamodb.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk, sk: SK },
          UpdateExpression: 'REMOVE sendingBy, sendingUntil',
          ConditionExpression: 'sendingBy = :owner',
          ExpressionAttributeValues: { ':owner': owner },
        }),
      ),
    );
  } catch (error) {
    if (!isConflict(error)) throw error;
  }
}

/** Lists an incident as open (idempotent): a takeover repeats it when the first writer died before. */
export const indexIncident = (table: string, pk: string) => updateIndex(table, pk, 'ADD');

/** An incident gone from the index's point of view (resolved elsewhere, or quiet past expiry). */
export const forgetIncident = (table: string, pk: string) => updateIndex(table, pk, 'DELETE');
