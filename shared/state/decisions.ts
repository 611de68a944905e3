/**
 * Decision records: what a function did about an instance and why, kept a while for `why <instance>`
 * (as Karpenter's events on a NodeClaim). Written by the functions' act steps after their effects,
 * best effort: a failed write is logged and never fails, delays or precedes the action it describes.
 *
 * Items: pk `decision#<instanceId>`, sk `<ISO time>#<function>#<action>#<n>` (sorted oldest first), and
 * pk `decision#capacity`, sk `<cluster>#<provider>`: scale-capacity's last decision for each capacity
 * provider, overwritten by each pass that applies one. DynamoDB's TTL removes them after 14 days.
 */
import { PutCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { dynamodb } from '../aws/dynamodb';
import { call, errorMessage, kindOf } from '../aws/errors';

export const DECISION_TTL_SECONDS = 14 * 24 * 3600;
export const DECISION_PREFIX = 'decision#';
const CAPACITY_PK = `${DECISION_PREFIX}capacity`;

export type DecidingFunction =
  | 'drain-instance'
  | 'scale-capacity'
  | 'run-scheduled-task'
  | 'detect-failed-start';

/** One decision about one instance. */
export interface Decision {
  instanceId: string;
  function: DecidingFunction;
  /** What was done, in a word or two: `drain-started`, `set-draining`, `removed`, `protected`, ... */
  action: string;
  /** Why, in plain words. */
  reasons: string[];
  cluster?: string | undefined;
  group?: string | undefined;
  provider?: string | undefined;
  /** Epoch ms; defaults to the time of the write. */
  at?: number | undefined;
}

export interface DecisionRecord
  extends Required<Pick<Decision, 'instanceId' | 'function' | 'action' | 'reasons'>> {
  at: string;
  cluster?: string | undefined;
  group?: string | undefined;
  provider?: string | undefined;
}

/** scale-capacity's last applied decision for one capacity provider. */
export interface ProviderDecision {
  cluster: string;
  provider: string;
  group?: string | undefined;
  /** `scale-out`, `scale-in`, `protection`, `no change`... */
  action: string;
  reasons: string[];
  desiredCapacity?: { from: number; to: number } | undefined;
  at?: number | undefined;
}

export interface ProviderDecisionRecord extends Omit<ProviderDecision, 'at'> {
  at: string;
}

/** Where a failed write is said; a Powertools Logger fits. */
export interface DecisionLog {
  warn: (message: string, extra: Record<string, unknown>) => void;
}

const ttlOf = (ms: number) => Math.floor(ms / 1000) + DECISION_TTL_SECONDS;

export function decisionItem(decision: Decision, n: number, now: number) {
  const at = new Date(decision.at ?? now).toISOString();
  return {
    pk: `${DECISION_PREFIX}${decision.instanceId}`,
    sk: `${at}#${decision.function}#${decision.action}#${n}`,
    instanceId: decision.instanceId,
    function: decision.function,
    action: decision.action,
    reasons: decision.reasons,
    cluster: decision.cluster,
    group: decision.group,
    provider: decision.provider,
    at,
    ttl: ttlOf(decision.at ?? now),
  };
}

async function put(table: string, item: Record<string, unknown>, log: DecisionLog): Promise<boolean> {
  try {
    await call('dynamodb:PutItem', `${table}/${String(item.pk)}`, () =>
      dynamodb.send(new PutCommand({ TableName: table, Item: item })),
    );
    return true;
  } catch (error) {
    log.warn('Decision record not written; the action it describes stands', {
      pk: item.pk,
      sk: item.sk,
      errorKind: kindOf(error),
      error: errorMessage(error),
    });
    return false;
  }
}

/** Writes the decisions, each on its own; answers how many were written. Never throws. */
export async function recordDecisions(
  table: string,
  decisions: readonly Decision[],
  log: DecisionLog,
  now: number = Date.now(),
): Promise<number> {
  const written = await Promise.all(
    decisions.map((decision, n) => put(table, decisionItem(decision, n, now), log)),
  );
  return written.filter(Boolean).length;
}

/** Writes a capacity provider's last decision. Never throws. */
export function recordProviderDecision(
  table: string,
  decision: ProviderDecision,
  log: DecisionLog,
  now: number = Date.now(),
): Promise<boolean> {
  const at = decision.at ?? now;
  return put(
    table,
    {
      pk: CAPACITY_PK,
      sk: `${decision.cluster}#${decision.provider}`,
      ...decision,
      at: new Date(at).toISOString(),
      ttl: ttlOf(at),
    },
    log,
  );
}

/**
 * Decisions an invocation makes before its safety actions (a drain's start is known before DRAINING is
 * set): held here and written after them, by `flush`.
 */
export class PendingDecisions {
  private pending: Decision[] = [];

  add(decision: Decision): void {
    this.pending.push({ ...decision, at: decision.at ?? Date.now() });
  }

  async flush(table: string, log: DecisionLog): Promise<number> {
    const taken = this.pending;
    this.pending = [];
    return taken.length === 0 ? 0 : recordDecisions(table, taken, log);
  }
}

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
const texts = (value: unknown) =>
  Array.isArray(value) ? value.filter((one): one is string => typeof one === 'string') : [];

async function queryAll(table: string, pk: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  const pages = paginateQuery(
    { client: dynamodb },
    {
      TableName: table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk },
    },
  );
  await call('dynamodb:Query', `${table}/${pk}`, async () => {
    for await (const page of pages) items.push(...(page.Items ?? []));
  });
  return items;
}

/** Every decision recorded about an instance, oldest first. */
export async function listDecisions(table: string, instanceId: string): Promise<DecisionRecord[]> {
  const items = await queryAll(table, `${DECISION_PREFIX}${instanceId}`);
  // Within one millisecond, in the order they were made (n, the last part of the sort key).
  const order = (item: Record<string, unknown>) => Number(String(item.sk).split('#').at(-1)) || 0;
  return items
    .sort((a, b) => String(a.at).localeCompare(String(b.at)) || order(a) - order(b))
    .map((item) => ({
      instanceId: text(item.instanceId) ?? instanceId,
      function: (text(item.function) ?? 'unknown') as DecidingFunction,
      action: text(item.action) ?? 'unknown',
      reasons: texts(item.reasons),
      at: text(item.at) ?? String(item.sk).split('#')[0] ?? '',
      cluster: text(item.cluster),
      group: text(item.group),
      provider: text(item.provider),
    }));
}

/** Each capacity provider's last applied decision. */
export async function listProviderDecisions(table: string): Promise<ProviderDecisionRecord[]> {
  const items = await queryAll(table, CAPACITY_PK);
  return items.map((item) => {
    const desired = item.desiredCapacity as { from?: unknown; to?: unknown } | undefined;
    return {
      cluster: text(item.cluster) ?? '',
      provider: text(item.provider) ?? '',
      group: text(item.group),
      action: text(item.action) ?? 'unknown',
      reasons: texts(item.reasons),
      at: text(item.at) ?? '',
      desiredCapacity:
        typeof desired?.from === 'number' && typeof desired.to === 'number'
          ? { from: desired.from, to: desired.to }
          : undefined,
    };
  });
}
