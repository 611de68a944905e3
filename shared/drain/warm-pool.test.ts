import { describe, expect, it } from 'vitest';
import { drainRecord } from '../../test/support/drain-record';
import { warmReturn } from './warm-pool';

const T0 = Date.parse('2026-11-21T03:00:00Z');
const pooled = drainRecord(T0, { cause: 'warm-pool', completedAt: T0 + 60_000, outcome: 'drained' });

describe('warmReturn', () => {
  it('sets ACTIVE again an instance our drain sent into the warm pool, once per return', () => {
    expect(warmReturn(pooled, false).action).toBe('reactivate');
    expect(warmReturn({ ...pooled, outcome: 'deadline-expired' }, false).action).toBe('reactivate');
    expect(warmReturn({ ...pooled, returnedAt: T0 + 120_000 }, false).action).toBe('leave');
    // A later trip through the pool: a newer completion than the last return.
    expect(warmReturn({ ...pooled, returnedAt: T0 - 1 }, false).action).toBe('reactivate');
  });

  it('leaves what is not its to undo: a drain under way, a terminate drain, no record, a lost instance', () => {
    expect(warmReturn({ ...pooled, completedAt: undefined, outcome: undefined }, false).action).toBe('leave');
    expect(warmReturn({ ...pooled, cause: 'terminate' }, false).action).toBe('leave');
    expect(warmReturn({ ...pooled, outcome: 'instance-lost' }, false).action).toBe('leave');
    expect(warmReturn(undefined, false).action).toBe('leave');
  });

  it('an unreadable record is stranded capacity, reported rather than guessed', () => {
    expect(warmReturn(undefined, true).action).toBe('stranded');
  });
});
