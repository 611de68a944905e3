// The ECS adapter counts every request it sends into the running pass's budget
// (shared/runtime/pass-budget.ts), on the real SDK against the local endpoint.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { passBudget, withinPassBudget } from '../../shared/runtime/pass-budget';
import { type LocalAws, startLocalAws } from './index';
import { useLocalAwsEnv } from './vitest';

const plenty = { remainingMs: () => 60_000, hasTimeFor: (ms: number) => ms <= 60_000 };

let aws: LocalAws;
let restore: () => void;

beforeAll(async () => {
  aws = await startLocalAws({ seed: 'sample' });
  restore = useLocalAwsEnv(aws);
});
beforeEach(() => aws.reset('sample'));
afterAll(async () => {
  restore();
  await aws.close();
});

describe('counting ECS requests into a pass budget', () => {
  it('counts what the pass sent, per bucket, as ECS does, and nothing sent outside it', async () => {
    const { describeServices, describeTasks, listServiceArns, listTaskArns } = await import(
      '../../shared/aws/ecs'
    );
    await listTaskArns('web'); // outside any pass
    const budget = passBudget(plenty);
    aws.throttling.enable();
    await withinPassBudget(budget, async () => {
      const tasks = await listTaskArns('web');
      await describeTasks('web', tasks);
      await describeServices('web', await listServiceArns('web'));
    });
    const taken = Object.fromEntries(
      aws.throttling
        .counts()
        .filter((bucket) => bucket.taken > 0)
        .map((bucket) => [bucket.bucket, bucket.taken]),
    );
    expect(budget.spent()).toEqual(taken);
    expect(budget.spent()).toEqual({ 'Cluster resource read actions': 2, 'Service read actions': 2 });
  });

  it('counts a command once, however many attempts throttling costs it', async () => {
    const { listTaskArns } = await import('../../shared/aws/ecs');
    aws.faults.set({ operation: 'ecs:ListTasks', throttleRate: 1, times: 2 });
    const budget = passBudget(plenty);
    await withinPassBudget(budget, () => listTaskArns('web'));
    expect(aws.calls.count('ecs:ListTasks')).toBe(3);
    expect(budget.spent()).toEqual({ 'Cluster resource read actions': 1 });
  });
});
