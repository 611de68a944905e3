// The local endpoint's instance refresh (model/instance-refresh.ts): it replaces the instances in
// service when it started, one batch at a time, and waits on scale-in protection (Wait), failing
// after an hour.
import { describe, expect, it } from 'vitest';
import { PROTECTED_WAIT_MS } from './model/instance-refresh';
import { SAMPLE, sampleWorld } from './model/sample';

describe('instance refresh on the local endpoint', () => {
  it('replaces every instance in service at its start, keeping the desired capacity', () => {
    const world = sampleWorld();
    const before = world.groupInstances(SAMPLE.group).map((instance) => instance.instanceId);
    const refresh = world.startInstanceRefresh(SAMPLE.group);
    expect(() => world.startInstanceRefresh(SAMPLE.group)).toThrow(/already in progress/);
    world.advanceUntil(() => refresh.status !== 'InProgress', { maxMs: 2 * 3_600_000 });
    expect(refresh.status).toBe('Successful');
    const after = world.groupInstances(SAMPLE.group).map((instance) => instance.instanceId);
    expect(after).toHaveLength(3);
    for (const id of before) expect(after).not.toContain(id);
  });

  it('waits on a protected instance (ScaleInProtectedInstances Wait) and fails after an hour', () => {
    const world = sampleWorld();
    const [kept] = world.groupInstances(SAMPLE.group);
    if (!kept) throw new Error('the sample has three instances');
    world.setInstanceProtection(SAMPLE.group, [kept.instanceId], true);
    const refresh = world.startInstanceRefresh(SAMPLE.group);
    world.advance(PROTECTED_WAIT_MS / 2);
    expect(refresh).toMatchObject({
      status: 'InProgress',
      statusReason: expect.stringMatching(/protection/),
    });
    world.advance(PROTECTED_WAIT_MS);
    expect(refresh.status).toBe('Failed');
    expect(world.groupInstances(SAMPLE.group).map((instance) => instance.instanceId)).toContain(
      kept?.instanceId,
    );
  });
});
