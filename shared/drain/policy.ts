import * as z from 'zod';

/**
 * What to do with standalone tasks (not started by a service) on an instance being drained. DRAINING
 * never stops them: either wait for them to exit, or stop them once the drain is `seconds` old.
 */
export type StandalonePolicy = { kind: 'wait' } | { kind: 'stop-after'; seconds: number };

export const WAIT: StandalonePolicy = { kind: 'wait' };

const STOP_AFTER = /^stop-after\s*:\s*(\d+)\s*s?$/i;

/** Parses `wait` or `stop-after:<seconds>` (a space after the colon and a trailing `s` are accepted). */
export function parseStandalonePolicy(text: string): StandalonePolicy | undefined {
  const value = text.trim();
  if (value.toLowerCase() === 'wait') return WAIT;
  const match = STOP_AFTER.exec(value);
  if (!match) return undefined;
  const seconds = Number(match[1]);
  return Number.isSafeInteger(seconds) ? { kind: 'stop-after', seconds } : undefined;
}

export function printStandalonePolicy(policy: StandalonePolicy): string {
  return policy.kind === 'wait' ? 'wait' : `stop-after:${policy.seconds}`;
}

export const standalonePolicySchema = z.string().transform((value, ctx): StandalonePolicy => {
  const policy = parseStandalonePolicy(value);
  if (policy) return policy;
  ctx.addIssue({ code: 'custom', message: `expected "wait" or "stop-after:<seconds>", got "${value}"` });
  return z.NEVER;
});

/** Group name -> policy; the key `*` applies to groups not named. */
export type StandalonePolicies = Readonly<Record<string, StandalonePolicy>>;

export const standalonePoliciesSchema = z.record(z.string().min(1), standalonePolicySchema);

export const ANY_GROUP = '*';

/** The policy for a group: its own entry, else the `*` entry, else wait (the safe default). */
export function policyFor(policies: StandalonePolicies, group: string): StandalonePolicy {
  if (Object.hasOwn(policies, group)) return policies[group] as StandalonePolicy;
  return Object.hasOwn(policies, ANY_GROUP) ? (policies[ANY_GROUP] as StandalonePolicy) : WAIT;
}
