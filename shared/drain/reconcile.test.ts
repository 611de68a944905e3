import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { drainRecord } from '../../test/support/drain-record';
import {
  heartbeatIntervalFor,
  heartbeatsDue,
  hookExpiresAt,
  lastRestart,
  planReconcile,
  type ReconcileCandidate,
} from './reconcile';
import { type DrainRecord, MAX_ACTION_MS } from './record';

const T0 = Date.parse('2026-11-21T03:00:00Z');
const NOW = T0 + 600_000;

const record = (fields: Partial<DrainRecord> = {}) => drainRecord(T0, { instanceId: 'i-1', ...fields });

const candidate = (instanceId: string, fields: Partial<ReconcileCandidate> = {}): ReconcileCandidate => ({
  instanceId,
  state: 'Terminating:Wait',
  answer: 'ours',
  beatAt: NOW,
  record: undefined,
  heartbeatTimeoutSeconds: 300,
  ...fields,
});

const open = (instanceId: string, lastHeartbeatAt: number | undefined, fields: Partial<DrainRecord> = {}) =>
  candidate(instanceId, { record: record({ instanceId, lastHeartbeatAt, ...fields }) });

const plan = (candidates: ReconcileCandidate[], dryRun = false) =>
  planReconcile({ candidates, owner: 'req-me', now: NOW, dryRun });
const ids = (items: readonly { instanceId: string }[]) => items.map((item) => item.instanceId);

describe('heartbeatsDue: the pass heartbeats first, from Auto Scaling alone', () => {
  const waiting = (instanceId: string, heartbeatTimeoutSeconds = 300) => ({
    instanceId,
    heartbeatTimeoutSeconds,
  });
  const due = (lastBeats: [string, number][], candidates = lastBeats.map(([id]) => waiting(id))) =>
    heartbeatsDue({
      candidates,
      lastBeats: new Map(lastBeats),
      now: NOW,
      heartbeatIntervalSeconds: 120,
      periodSeconds: 60,
    });

  it('caps the heartbeat interval at a third of the hook timeout', () => {
    expect(heartbeatIntervalFor(120, 300)).toBe(100);
    expect(heartbeatIntervalFor(120, 5400)).toBe(120);
    expect(heartbeatIntervalFor(120, 2)).toBe(1);
  });

  it('heartbeats every instance this container has not heartbeated (a lost table or a new container), first', () => {
    const result = due([
      ['i-fresh', NOW - 30_000], // due at +70 s: the next pass (+60 s) is still in time
      ['i-soon', NOW - 50_000], // due at +50 s: before the next pass
      ['i-oldest', NOW - 250_000],
    ]);
    const unknown = due([], [waiting('i-b'), waiting('i-a')]);
    expect(ids(result.due)).toEqual(['i-oldest', 'i-soon']);
    expect(ids(result.recent)).toEqual(['i-fresh']);
    expect(ids(unknown.due)).toEqual(['i-a', 'i-b']);
  });

  it('keeps any number of hooks within their heartbeat interval, one pass a minute, with no table at all', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.integer({ min: 0, max: 299_000 }), { nil: undefined }), {
          minLength: 1,
          maxLength: 50,
        }),
        fc.constantFrom(120, 300, 5400),
        (offsets, timeout) => {
          const beats = new Map<string, number>();
          offsets.forEach((offset, n) => {
            if (offset !== undefined) beats.set(`i-${n}`, T0 - offset);
          });
          const candidates = offsets.map((_, n) => waiting(`i-${n}`, timeout));
          const interval = heartbeatIntervalFor(120, timeout) * 1000;
          for (let pass = 0; pass < 30; pass++) {
            const now = T0 + pass * 60_000;
            const result = heartbeatsDue({
              candidates,
              lastBeats: beats,
              now,
              heartbeatIntervalSeconds: 120,
              periodSeconds: 60,
            });
            for (const c of result.due) beats.set(c.instanceId, now);
            // Whatever was not heartbeated now is still within its interval at the next pass.
            for (const c of result.recent) {
              expect(now + 60_000 - (beats.get(c.instanceId) as number)).toBeLessThanOrEqual(interval);
            }
          }
        },
      ),
    );
  });
});

describe('planReconcile', () => {
  it('orders full steps: instances found without a drain first, then by when each hook expires', () => {
    const result = plan([
      candidate('i-long', {
        record: record({ instanceId: 'i-long', lastHeartbeatAt: NOW - 200_000 }),
        heartbeatTimeoutSeconds: 3600,
        beatAt: undefined,
        answer: 'recent',
      }),
      candidate('i-short', {
        record: record({ instanceId: 'i-short', lastHeartbeatAt: NOW - 10_000 }),
        heartbeatTimeoutSeconds: 120,
        beatAt: undefined,
        answer: 'recent',
      }),
      candidate('i-lost-event'),
    ]);
    expect(ids(result.steps)).toEqual(['i-lost-event', 'i-short', 'i-long']);
    expect(ids(result.found)).toEqual(['i-lost-event']);
    expect(hookExpiresAt(lastRestart(result.steps[1] as ReconcileCandidate), 120)).toBe(NOW + 110_000);
  });

  it('a refused heartbeat: an open drain lost its hook; without one, someone else’s hook holds it', () => {
    const result = plan([
      open('i-open', NOW - 250_000, {}),
      { ...open('i-lost', NOW - 250_000), answer: 'not-ours' },
      candidate('i-other', { answer: 'not-ours' }),
      candidate('i-done', {
        answer: 'not-ours',
        record: record({ instanceId: 'i-done', completedAt: NOW - 1 }),
      }),
    ]);
    expect(ids(result.lost)).toEqual(['i-lost']);
    expect(ids(result.notOurs)).toEqual(['i-other', 'i-done']);
    expect(ids(result.steps)).toEqual(['i-open']);
  });

  it('only a heartbeat that just went through starts a drain; a recent one may be a drain completed since', () => {
    const result = plan([
      candidate('i-recent', {
        answer: 'recent',
        record: record({ instanceId: 'i-recent', completedAt: NOW - 1 }),
      }),
      candidate('i-failed', { answer: 'unknown' }),
      candidate('i-stale', { record: record({ instanceId: 'i-stale', startedAt: NOW - MAX_ACTION_MS - 1 }) }),
    ]);
    expect(ids(result.unknown)).toEqual(['i-recent', 'i-failed']);
    expect(ids(result.found)).toEqual(['i-stale']);
    // A dry run asks nothing: every instance without a drain is planned.
    expect(ids(plan([candidate('i-x', { answer: 'unknown' })], true).steps)).toEqual(['i-x']);
  });

  it('leaves drains leased by a live invocation to it, and takes back its own', () => {
    const result = plan([
      open('i-theirs', NOW - 250_000, { leaseOwner: 'req-other', leaseUntil: NOW + 10_000 }),
      open('i-expired', NOW - 250_000, { leaseOwner: 'req-other', leaseUntil: NOW }),
      open('i-mine', NOW - 250_000, { leaseOwner: 'req-me', leaseUntil: NOW + 10_000 }),
    ]);
    expect(ids(result.elsewhere)).toEqual(['i-theirs']);
    expect(ids(result.steps)).toEqual(['i-expired', 'i-mine']);
  });

  it('puts every candidate in exactly one place; open drains are sorted by hook expiry', () => {
    const candidates = fc.array(
      fc.record({
        last: fc.option(fc.integer({ min: -400_000, max: 0 }), { nil: undefined }),
        completed: fc.boolean(),
        hasRecord: fc.boolean(),
        leased: fc.boolean(),
        answer: fc.constantFrom('ours' as const, 'recent' as const, 'not-ours' as const, 'unknown' as const),
        timeout: fc.constantFrom(120, 300, 5400),
      }),
      { maxLength: 40 },
    );
    fc.assert(
      fc.property(candidates, (specs) => {
        const all = specs.map((spec, n) =>
          candidate(`i-${n}`, {
            heartbeatTimeoutSeconds: spec.timeout,
            answer: spec.answer,
            beatAt: spec.answer === 'ours' ? NOW : undefined,
            record: spec.hasRecord
              ? record({
                  instanceId: `i-${n}`,
                  lastHeartbeatAt: spec.last === undefined ? undefined : NOW + spec.last,
                  completedAt: spec.completed ? NOW - 1 : undefined,
                  leaseOwner: spec.leased ? 'req-other' : undefined,
                  leaseUntil: spec.leased ? NOW + 1 : undefined,
                })
              : undefined,
          }),
        );
        const result = plan(all);
        const placed = [
          ...ids(result.elsewhere),
          ...ids(result.lost),
          ...ids(result.notOurs),
          ...ids(result.unknown),
          ...ids(result.steps),
        ].sort();
        expect(placed).toEqual(ids(all).sort());
        const open = result.steps.slice(result.found.length);
        const expiries = open.map((c) => hookExpiresAt(lastRestart(c), c.heartbeatTimeoutSeconds));
        expect(expiries).toEqual([...expiries].sort((a, b) => a - b));
      }),
    );
  });
});
