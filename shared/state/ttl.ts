/**
 * The state table's TTL attribute `ttl`: epoch seconds after which DynamoDB may delete the item
 * ("Using time to live (TTL) in DynamoDB", Amazon DynamoDB Developer Guide). DynamoDB deletes expired
 * items lazily (within days), so readers that care skip expired items themselves ({@link isLive}).
 */

const MINUTE = 60;
const DAY = 86_400;

/**
 * The `ttl` of an item to keep `afterSeconds` past `epochMs`. Rounded up to the next whole second, so
 * an item never expires before its time (rounding down would cut up to a second off every lifetime, and
 * a reader checking `ttl * 1000 > now` would drop an item it still needs).
 */
export const ttlAt = (epochMs: number, afterSeconds = 0): number => Math.ceil(epochMs / 1000) + afterSeconds;

/** False for an item whose TTL has passed: DynamoDB may still return it until it gets round to deleting it. */
export const isLive = (item: { ttl?: unknown }, now: number): boolean =>
  typeof item.ttl !== 'number' || item.ttl * 1000 > now;

/** How long each item kind is kept (seconds); docs/architecture.md's state table lists the same. */
export const TTL_SECONDS = {
  /** An open drain: well past Auto Scaling's 48 h lifecycle action limit. */
  drainOpen: 7 * DAY,
  /** A closed drain, for `npm run status` and late duplicates. */
  drainClosed: 3 * DAY,
  /** Registry items outlive monthly schedules; a job unseen this long is forgotten. */
  jobRegistry: 90 * DAY,
  /** Runs are trimmed to a history per job; the TTL only catches what trimming never reaches. */
  run: 90 * DAY,
  /** Task items are needed only until their run is final. */
  task: 7 * DAY,
  /** The job's decision lease item, kept this long after its lease ends. */
  jobLeaseAfterUntil: DAY,
  idleMarker: 7 * DAY,
  stallMarker: 15 * MINUTE,
  rememberedTypes: 90 * DAY,
  /** The last raise while launches failed: it only matters for a boot timeout. */
  failingRaise: DAY,
  seenMarker: 2 * DAY,
  /** A disconnected agent's marker lapses this long after the last pass that saw it disconnected. */
  agentMarker: 15 * MINUTE,
  /** Failure markers outlive EventBridge's 24 h of retries. */
  failureMarker: 2 * DAY,
  /** Incident items outlive their last failure's window by a week. */
  incidentAfterWindow: 7 * DAY,
} as const;
