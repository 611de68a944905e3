import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BadEventError } from '../runtime/errors';
import { parseFailedStartEvent, snapshotOfDescribed } from './events';

const EVENTS = join(import.meta.dirname, '../../events/detect-failed-start');
const load = (name: string) =>
  JSON.parse(readFileSync(join(EVENTS, name), 'utf8')) as Record<string, unknown>;
const taskEvents = readdirSync(EVENTS).filter(
  (name) => !['malformed.json', 'reconcile-schedule.json'].includes(name),
);

describe('parseFailedStartEvent', () => {
  it.each(taskEvents)('reads %s', (name) => {
    const parsed = parseFailedStartEvent(load(name));
    expect(parsed.kind).toBe('task');
    if (parsed.kind !== 'task') return;
    expect(parsed.task).toMatchObject({ cluster: 'web', region: 'us-east-1', lastStatus: 'STOPPED' });
    expect(parsed.task.taskId).toMatch(/^[0-9a-f]{32}$/);
    expect(parsed.task.taskDefinition).toMatch(/^(api|worker|report):\d+$/);
  });

  it('reads the fields the alert needs', () => {
    const parsed = parseFailedStartEvent(load('image-pull.json'));
    expect(parsed).toMatchObject({
      kind: 'task',
      task: {
        group: 'service:api',
        taskDefinition: 'api:4',
        launchType: 'EC2',
        capacityProviderName: 'web-asg-cp',
        availabilityZone: 'us-east-1a',
        stopCode: 'TaskFailedToStart',
        containers: [{ name: 'api', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1.4.3' }],
      },
    });
  });

  it('names every field at fault in a malformed event', () => {
    expect(() => parseFailedStartEvent(load('malformed.json'))).toThrow(BadEventError);
    try {
      parseFailedStartEvent(load('malformed.json'));
    } catch (error) {
      expect((error as BadEventError).issues.map((issue) => issue.path).sort()).toEqual([
        'detail.taskArn',
        'detail.version',
      ]);
    }
  });

  it('ignores fields AWS adds later and tolerates nulls', () => {
    const event = load('image-pull.json');
    const detail = event.detail as Record<string, unknown>;
    const parsed = parseFailedStartEvent({
      ...event,
      newTopLevel: true,
      detail: {
        ...detail,
        brandNewField: { x: 1 },
        stoppedReason: null,
        containers: [{ name: 'api', exitCode: null }],
      },
    });
    expect(parsed).toMatchObject({ kind: 'task', task: { containers: [{ name: 'api' }] } });
  });

  it('accepts the reconcile schedule and refuses other sources', () => {
    expect(parseFailedStartEvent(load('reconcile-schedule.json'))).toEqual({
      kind: 'reconcile',
      time: Date.parse('2026-11-21T03:35:00Z'),
    });
    expect(() =>
      parseFailedStartEvent({ source: 'aws.ecs', 'detail-type': 'ECS Service Action', detail: {} }),
    ).toThrow(/detail-type/);
    expect(() => parseFailedStartEvent('not an event')).toThrow(BadEventError);
  });

  it('falls back to the family group when a described task has none', () => {
    const detail = load('image-pull.json').detail as Record<string, unknown>;
    const snapshot = snapshotOfDescribed({
      ...(detail as object),
      group: undefined,
      createdAt: new Date('2026-11-21T03:12:01Z'),
      stoppedAt: new Date('2026-11-21T03:12:41.907Z'),
    } as Parameters<typeof snapshotOfDescribed>[0]);
    expect(snapshot?.group).toBe('family:api');
    expect(snapshot?.createdAt).toBe('2026-11-21T03:12:01.000Z');
    expect(snapshotOfDescribed({ taskArn: 'nonsense' })).toBeUndefined();
  });
});
