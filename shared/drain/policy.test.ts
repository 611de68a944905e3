import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseStandalonePolicy,
  policyFor,
  printStandalonePolicy,
  standalonePoliciesSchema,
  WAIT,
} from './policy';

describe('standalone task policy', () => {
  it('parses wait and stop-after in the forms people write', () => {
    expect(parseStandalonePolicy('wait')).toEqual(WAIT);
    expect(parseStandalonePolicy(' WAIT ')).toEqual(WAIT);
    expect(parseStandalonePolicy('stop-after:600')).toEqual({ kind: 'stop-after', seconds: 600 });
    expect(parseStandalonePolicy('stop-after: 600')).toEqual({ kind: 'stop-after', seconds: 600 });
    expect(parseStandalonePolicy('stop-after:0')).toEqual({ kind: 'stop-after', seconds: 0 });
    expect(parseStandalonePolicy('stop-after:90s')).toEqual({ kind: 'stop-after', seconds: 90 });
  });

  it('rejects anything else', () => {
    for (const text of [
      '',
      'stop',
      'stop-after',
      'stop-after:-1',
      'stop-after:1.5',
      'kill',
      'stop-after:ten',
    ]) {
      expect(parseStandalonePolicy(text)).toBeUndefined();
    }
  });

  it('prints what it parses', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.constant(WAIT),
          fc.nat().map((seconds) => ({ kind: 'stop-after' as const, seconds })),
        ),
        (policy) => {
          expect(parseStandalonePolicy(printStandalonePolicy(policy))).toEqual(policy);
        },
      ),
    );
  });

  it('picks the group entry, then "*", then wait', () => {
    const policies = standalonePoliciesSchema.parse({ 'web-asg': 'stop-after:300', '*': 'stop-after:900' });
    expect(policyFor(policies, 'web-asg')).toEqual({ kind: 'stop-after', seconds: 300 });
    expect(policyFor(policies, 'batch-asg')).toEqual({ kind: 'stop-after', seconds: 900 });
    expect(policyFor({}, 'web-asg')).toEqual(WAIT);
    // Object prototype names are group names like any other, not inherited properties.
    expect(policyFor({}, 'constructor')).toEqual(WAIT);
  });

  it('explains a bad entry', () => {
    const result = standalonePoliciesSchema.safeParse({ 'web-asg': 'stop' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('expected "wait" or "stop-after:<seconds>", got "stop"');
  });
});
