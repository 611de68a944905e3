import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planCapacity } from '../../shared/capacity/planner';
import { parseSnapshot } from '../../shared/capacity/snapshot';
import { type Applied, capacityDecisions } from './decisions';

function planOf(file: string) {
  const raw = JSON.parse(
    readFileSync(join(import.meta.dirname, '../../events/scale-capacity/snapshots', file), 'utf8'),
  ) as { takenAt?: string };
  const snapshot = parseSnapshot(raw);
  return planCapacity(snapshot, Date.parse(snapshot.takenAt ?? '2024-05-01T12:00:00Z'));
}

const done = (action: string, target: string): Applied['outcomes'][number] => ({
  action,
  target,
  result: 'done',
});

describe('capacityDecisions', () => {
  const idle = planOf('idle.json');
  const [removal] = idle.removals;

  it('an idle instance removed: chosen for removal, why, and the provider scaled in with the plan reasons', () => {
    const { instances, provider } = capacityDecisions(idle, {
      outcomes: [done('terminate', removal?.instanceId ?? ''), done('unprotect', idle.unprotect.join(','))],
      removed: [removal?.instanceId ?? ''],
      desiredCapacity: undefined,
    });
    expect(instances).toEqual([
      expect.objectContaining({
        instanceId: removal?.instanceId,
        function: 'scale-capacity',
        action: 'chosen-for-removal',
        reasons: [`idle: ${removal?.detail}`, expect.stringContaining('drain-instance')],
        cluster: idle.cluster,
        provider: idle.capacityProvider,
        group: idle.group,
      }),
      ...idle.unprotect.map((instanceId) =>
        expect.objectContaining({ instanceId, action: 'protection-released' }),
      ),
    ]);
    expect(provider).toMatchObject({
      action: 'scale-in, protection',
      reasons: idle.reasons,
      desiredCapacity: { from: idle.currentDesired, to: idle.currentDesired - 1 },
    });
  });

  it('a removal that did not happen is recorded as held, with what stopped it', () => {
    const { instances, provider } = capacityDecisions(idle, {
      outcomes: [
        {
          action: 'terminate',
          target: removal?.instanceId ?? '',
          result: 'skipped',
          detail: 'not idle any more',
        },
      ],
      removed: [],
      desiredCapacity: undefined,
    });
    expect(instances[0]).toMatchObject({
      action: 'removal-held',
      reasons: [expect.any(String), 'skipped: not idle any more'],
    });
    // Protection was not changed either (its call is not in the outcomes as done).
    expect(instances).toHaveLength(1);
    expect(provider.action).toBe('removal held');
  });

  it('a scale-out is the provider decision, with the sources each new instance is for in the reasons', () => {
    const burst = planOf('burst.json');
    const { instances, provider } = capacityDecisions(burst, {
      outcomes: [done('set-desired-capacity', `${burst.group}=${burst.desiredCapacity}`)],
      removed: [],
      desiredCapacity: burst.desiredCapacity,
    });
    expect(instances).toEqual([]);
    expect(provider).toMatchObject({
      action: 'scale-out',
      desiredCapacity: { from: burst.currentDesired, to: burst.desiredCapacity },
    });
    expect(provider.reasons.some((reason) => reason.includes('for service:api'))).toBe(true);
  });

  it('a pass that changed nothing decides "no change"', () => {
    const { instances, provider } = capacityDecisions(idle, {
      outcomes: [],
      removed: [],
      desiredCapacity: undefined,
    });
    expect(instances.map((one) => one.action)).toEqual(['removal-held']);
    expect(provider.action).toBe('removal held');
    const burst = planOf('burst.json');
    expect(
      capacityDecisions(burst, { outcomes: [], removed: [], desiredCapacity: undefined }).provider.action,
    ).toBe('no change');
  });
});
