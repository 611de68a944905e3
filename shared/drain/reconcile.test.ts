import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  heartbeatIntervalFor,
  hookExpiresAt,
  type NotOursMark,
  notOursRecheckAt,
  planReconcile,
  type ReconcileCandidate,
} from './reconcile';
import { type DrainRecord, MAX_ACTION_MS } from './record';
import { drainRecord } from './record.fixtures';

const T0 = Date.parse('2026-11-21T03:00:00Z');
const NOW = T0 + 600_000;

const record = (fields: Partial<DrainRecord> = {}) => drainRecord(T0, { instanceId: 'i-1', ...fields });

const candidate = (instanceId: string, fields: Partial<ReconcileCandidate> = {}): ReconcileCandidate => ({
  instanceId,
  state: 'Terminating:Wait',
  record: undefined,
  notOurs: undefined,
  heartbeatTimeoutSeconds: 300,
  ...fields,
});

const open = (instanceId: string, lastHeartbeatAt: number | undefined, fields: Partial<DrainRecord> = {}) =>
  candidate(instanceId, { record: record({ instanceId, lastHeartbeatAt, ...fields }) });

const mark = (instanceId: string, fields: Partial<NotOursMark> = {}): NotOursMark => ({
  instanceId,
  state: 'Terminating:Wait',
  checkedAt: NOW - 30_000,
  recheckAt: NOW + 30_000,
  ...fields,
});

const plan = (candidates: ReconcileCandidate[]) =>
  planReconcile({ candidates, owner: 'req-me', now: NOW, heartbeatIntervalSeconds: 120, periodSeconds: 60 });
const ids = (items: readonly { instanceId: string }[]) => items.map((item) => item.instanceId);
const keepAliveOf = (result: ReturnType<typeof plan>) =>
  result.keepAlive.map(({ candidate: c, kind }) => `${kind}:${c.instanceId}`);

describe('planReconcile', () => {
  it('caps the heartbeat interval at a third of the hook timeout', () => {
    expect(heartbeatIntervalFor(120, 300)).toBe(100);
    expect(heartbeatIntervalFor(120, 3600)).toBe(120);
    expect(heartbeatIntervalFor(120, 2)).toBe(1);
  });

  it('heartbeats every open drain whose heartbeat would be overdue by the next pass, soonest expiry first', () => {
    const result = plan([
      open('i-fresh', NOW - 30_000), // due at +70 s: the next pass (+60 s) is still in time
      open('i-soon', NOW - 50_000), // due at +50 s: before the next pass
      open('i-oldest', NOW - 250_000),
      open('i-unknown-timer', undefined), // a Spot drain: hook timer unknown
    ]);
    expect(keepAliveOf(result)).toEqual([
      'heartbeat:i-unknown-timer',
      'heartbeat:i-oldest',
      'heartbeat:i-soon',
    ]);
    expect(ids(result.steps)).toEqual(['i-unknown-timer', 'i-oldest', 'i-soon', 'i-fresh']);
  });

  it('orders full steps by when each hook expires, whatever its timeout', () => {
    const result = plan([
      candidate('i-long', {
        record: record({ lastHeartbeatAt: NOW - 200_000 }),
        heartbeatTimeoutSeconds: 3600,
      }),
      candidate('i-short', {
        record: record({ lastHeartbeatAt: NOW - 10_000 }),
        heartbeatTimeoutSeconds: 120,
      }),
    ]);
    expect(ids(result.steps)).toEqual(['i-short', 'i-long']);
    expect(hookExpiresAt(result.steps[0]?.record, 120)).toBe(NOW + 110_000);
  });

  it('probes instances with no drain of their current action before any heartbeat', () => {
    const result = plan([
      open('i-open', NOW - 250_000),
      candidate('i-lost'), // no record: a lost event, or someone else's hook
      candidate('i-done', { record: record({ completedAt: NOW - 60_000 }) }), // a later action, or another hook
      open('i-stale', NOW - 1000, { startedAt: NOW - MAX_ACTION_MS - 1 }), // no action lives that long
    ]);
    expect(keepAliveOf(result)).toEqual([
      'probe:i-done',
      'probe:i-lost',
      'probe:i-stale',
      'heartbeat:i-open',
    ]);
    expect(ids(result.unknown)).toEqual(['i-done', 'i-lost', 'i-stale']);
    expect(ids(result.steps)).toEqual(['i-open']);
  });

  it('leaves instances known to wait on another hook alone until their recheck, in the same state only', () => {
    const result = plan([
      candidate('i-known', { notOurs: mark('i-known') }),
      candidate('i-due', { notOurs: mark('i-due', { recheckAt: NOW }) }),
      candidate('i-moved', { state: 'Warmed:Pending:Wait', notOurs: mark('i-moved') }),
      // An open drain of this action (its event came since) outranks the mark.
      candidate('i-drain', { record: record({ instanceId: 'i-drain' }), notOurs: mark('i-drain') }),
    ]);
    expect(ids(result.remembered)).toEqual(['i-known']);
    expect(keepAliveOf(result)).toEqual(['probe:i-due', 'probe:i-moved', 'heartbeat:i-drain']);
  });

  it('rechecks a not-ours instance in time to save our hook had the answer been wrong', () => {
    // Probe at NOW, recheck due at +180 s, reached by a pass at +240 s at the latest: before +300 s.
    expect(notOursRecheckAt(NOW, 300, 60)).toBe(NOW + 180_000);
    expect(notOursRecheckAt(NOW, 3600, 60)).toBe(NOW + 3480_000);
    expect(notOursRecheckAt(NOW, 120, 60)).toBe(NOW + 60_000);
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

  it('puts every candidate in exactly one place; steps are sorted by hook expiry', () => {
    const candidates = fc.array(
      fc.record({
        last: fc.option(fc.integer({ min: -400_000, max: 0 }), { nil: undefined }),
        completed: fc.boolean(),
        hasRecord: fc.boolean(),
        leased: fc.boolean(),
        marked: fc.boolean(),
        timeout: fc.constantFrom(120, 300, 3600),
      }),
      { maxLength: 40 },
    );
    fc.assert(
      fc.property(candidates, (specs) => {
        const all = specs.map((spec, n) =>
          candidate(`i-${n}`, {
            heartbeatTimeoutSeconds: spec.timeout,
            notOurs: spec.marked ? mark(`i-${n}`) : undefined,
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
          ...ids(result.remembered),
          ...ids(result.unknown),
          ...ids(result.steps),
        ].sort();
        expect(placed).toEqual(ids(all).sort());
        const expiries = result.steps.map((c) => hookExpiresAt(c.record, c.heartbeatTimeoutSeconds));
        expect(expiries).toEqual([...expiries].sort((a, b) => a - b));
        // Every open unleased drain whose heartbeat falls due before the next pass gets one now.
        for (const c of result.steps) {
          const interval = heartbeatIntervalFor(120, c.heartbeatTimeoutSeconds) * 1000;
          const due =
            c.record?.lastHeartbeatAt === undefined || NOW + 60_000 - c.record.lastHeartbeatAt > interval;
          expect(result.keepAlive.some((item) => item.candidate === c && item.kind === 'heartbeat')).toBe(
            due,
          );
        }
      }),
    );
  });

  it('keeps any number of open drains within their heartbeat interval, one pass a minute', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 299_000 }), { minLength: 1, maxLength: 50 }),
        fc.constantFrom(120, 300, 900),
        (offsets, timeout) => {
          const last = new Map(offsets.map((offset, n) => [`i-${n}`, T0 - offset]));
          const interval = heartbeatIntervalFor(120, timeout) * 1000;
          const longestGap = new Map<string, number>();
          for (let pass = 0; pass < 30; pass++) {
            const now = T0 + pass * 60_000;
            const result = planReconcile({
              candidates: [...last].map(([id, at]) =>
                candidate(id, {
                  record: record({ instanceId: id, lastHeartbeatAt: at }),
                  heartbeatTimeoutSeconds: timeout,
                }),
              ),
              owner: 'req',
              now,
              heartbeatIntervalSeconds: 120,
              periodSeconds: 60,
            });
            for (const { candidate: c } of result.keepAlive) {
              const gap = now - (last.get(c.instanceId) as number);
              if (pass > 0) longestGap.set(c.instanceId, Math.max(longestGap.get(c.instanceId) ?? 0, gap));
              last.set(c.instanceId, now);
            }
          }
          // After the first pass, no hook goes longer than its interval without a heartbeat.
          for (const gap of longestGap.values()) expect(gap).toBeLessThanOrEqual(Math.max(interval, 60_000));
        },
      ),
    );
  });
});
