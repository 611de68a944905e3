import fc from 'fast-check';
import { expect, it } from 'vitest';
import { DEFAULT_SEED, fastCheckSeed } from './fast-check';

it('uses a fixed seed unless FUZZ_SEED names another', () => {
  expect(fastCheckSeed({})).toBe(DEFAULT_SEED);
  expect(fastCheckSeed({ FUZZ_SEED: '1337' })).toBe(1337);
  expect(fastCheckSeed({ FUZZ_SEED: '-5' })).toBe(-5);
  expect(() => fastCheckSeed({ FUZZ_SEED: 'abc' })).toThrow(/FUZZ_SEED/);
});

it('is in force for every property (test/setup.ts)', () => {
  expect(fc.readConfigureGlobal().seed).toBe(fastCheckSeed());
  const draw = () => fc.sample(fc.integer(), { numRuns: 3 });
  expect(draw()).toEqual(draw());
});
