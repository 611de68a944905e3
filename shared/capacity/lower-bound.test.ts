import { describe, expect, it } from 'vitest';
import { estimateInstanceType } from './instance-types';
import { reachableWithin } from './lower-bound';

describe('reachableWithin', () => {
  it('is the largest sum of task sizes that fits', () => {
    const usable = reachableWithin(4096, [512, 1024]);
    expect(usable(1920)).toBe(1536);
    expect(usable(2048)).toBe(2048);
    expect(reachableWithin(8000, [1536])(3968)).toBe(3072);
    expect(reachableWithin(8000, [768, 1024])(1920)).toBe(1792);
    expect(reachableWithin(100, [])(77)).toBe(77);
  });
});

describe('estimateInstanceType', () => {
  it('reads common types, erring small on memory', () => {
    expect(estimateInstanceType('m5.large')).toEqual({ cpu: 2048, memoryMiB: 7680, gpus: 0, enis: 2 });
    expect(estimateInstanceType('c6i.2xlarge')).toMatchObject({ cpu: 8192, enis: 3 });
    expect(estimateInstanceType('r6g.xlarge')?.memoryMiB).toBeLessThan(32 * 1024);
    expect(estimateInstanceType('t3.medium')).toMatchObject({ cpu: 2048, enis: 2 });
    expect(estimateInstanceType('g5.12xlarge')).toMatchObject({ gpus: 4 });
    expect(estimateInstanceType('m5.metal')).toBeUndefined();
    expect(estimateInstanceType('nonsense')).toBeUndefined();
  });
});
