import { describe, expect, it } from 'vitest';
import { drainRecord } from '../../test/support/drain-record';
import { type DrainRecord, hashToken, isEarlierAction, leaseHeldByOther, MAX_ACTION_MS } from './record';

const T0 = Date.parse('2026-11-21T03:00:00Z');
const record = (fields: Partial<DrainRecord> = {}) => drainRecord(T0, fields);

describe('drain records', () => {
  it('hashes tokens stably without keeping them', () => {
    expect(hashToken('token-1')).toBe(hashToken('token-1'));
    expect(hashToken('token-1')).not.toBe(hashToken('token-2'));
    expect(hashToken('token-1')).not.toContain('token');
  });

  it('tells a new lifecycle action from a duplicate of the same one', () => {
    expect(isEarlierAction(record(), hashToken('token-1'), T0 + 1000)).toBe(false);
    expect(isEarlierAction(record(), hashToken('token-2'), T0 + 1000)).toBe(true);
    // Started by a Spot warning or a reconcile pass: the action's event adopts it.
    expect(isEarlierAction(record({ tokenHash: undefined }), hashToken('token-2'), T0 + 1000)).toBe(false);
    expect(isEarlierAction(record(), undefined, T0 + 1000)).toBe(false);
    expect(isEarlierAction(record(), undefined, T0 + MAX_ACTION_MS + 1)).toBe(true);
  });

  it('respects a live lease of another invocation only', () => {
    const leased = record({ leaseOwner: 'req-1', leaseUntil: T0 + 60_000 });
    expect(leaseHeldByOther(leased, 'req-2', T0)).toBe(true);
    expect(leaseHeldByOther(leased, 'req-1', T0)).toBe(false);
    expect(leaseHeldByOther(leased, 'req-2', T0 + 60_000)).toBe(false);
    expect(leaseHeldByOther(record(), 'req-2', T0)).toBe(false);
  });
});
