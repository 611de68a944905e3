/**
 * The seed of every fast-check property: fixed, so a run replays exactly and CI is deterministic;
 * FUZZ_SEED picks another (fast-check prints the seed and path of any failure, to replay it).
 */
import fc from 'fast-check';

export const DEFAULT_SEED = 20250115;

/** FUZZ_SEED when set (a 32-bit integer), else {@link DEFAULT_SEED}. */
export function fastCheckSeed(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.FUZZ_SEED?.trim();
  if (raw === undefined || raw === '') return DEFAULT_SEED;
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed) || seed < -(2 ** 31) || seed >= 2 ** 32) {
    throw new Error(`FUZZ_SEED must be a 32-bit integer, got "${raw}"`);
  }
  return seed | 0;
}

/** Sets the seed for every property of the test file (called from test/setup.ts). */
export function fixFastCheckSeed(env: NodeJS.ProcessEnv = process.env): number {
  const seed = fastCheckSeed(env);
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
  return seed;
}
