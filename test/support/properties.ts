/**
 * fast-check parameters with a fixed seed, so a property test checks the same cases on every run
 * and a failure reproduces; FC_SEED explores other cases locally (a failure prints its seed and path).
 */
import type fc from 'fast-check';

export const PROPERTY_SEED = process.env.FC_SEED === undefined ? 20_251_207 : Number(process.env.FC_SEED);

export function fixedSeed<T>(numRuns: number, extra: fc.Parameters<T> = {}): fc.Parameters<T> {
  return { seed: PROPERTY_SEED, numRuns, ...extra };
}
