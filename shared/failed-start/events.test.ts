import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BadEventError } from '../runtime/errors';
import { classify } from './classify';
import { describedTaskIssues, parseFailedStartEvent, snapshotOfDescribed } from './events';

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

  it('keeps a described task ECS gave without a version (DescribeTasks marks every field optional)', () => {
    const { version: _omitted, ...detail } = load('image-pull.json').detail as Record<string, unknown>;
    const snapshot = snapshotOfDescribed({
      ...(detail as object),
      createdAt: new Date('2026-11-21T03:12:01Z'),
      stoppedAt: new Date('2026-11-21T03:12:41.907Z'),
    } as Parameters<typeof snapshotOfDescribed>[0]);
    expect(snapshot?.taskArn).toBe(detail.taskArn);
    expect(snapshot?.version).toBeUndefined();
  });

  it('says what a described task lacks when it cannot be read', () => {
    expect(describedTaskIssues({ taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/web/0123' })).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^clusterArn: /),
        expect.stringMatching(/^taskDefinitionArn: /),
      ]),
    );
  });
});

describe('size limits', () => {
  const event = load('image-pull.json') as { detail: Record<string, unknown> };
  const name255 = 'n'.repeat(255);
  const withDetail = (fields: Record<string, unknown>) => ({
    ...event,
    detail: { ...event.detail, ...fields },
  });
  const refusedPaths = (input: unknown) => {
    try {
      parseFailedStartEvent(input);
      return undefined;
    } catch (error) {
      if (!(error instanceof BadEventError)) throw error;
      return error.issues.map((issue) => issue.path);
    }
  };
  const arn = (resource: string) => `arn:aws:ecs:us-east-1:123456789012:${resource}`;

  it.each([
    ['clusterArn', arn(`cluster/${name255}`), arn(`cluster/${name255}n`)],
    ['taskArn', arn(`task/${name255}/${name255}`), arn(`task/web/${name255}n`)],
    ['taskDefinitionArn', arn(`task-definition/${name255}:1234567890`), arn(`task-definition/${name255}n:1`)],
    ['group', `service:${name255}`, `service:${name255}n`],
    ['startedBy', 's'.repeat(128), 's'.repeat(129)],
    ['capacityProviderName', name255, `${name255}n`],
  ])('%s: accepted at the limit, refused just above it by name', (field, atLimit, above) => {
    expect(refusedPaths(withDetail({ [field]: atLimit }))).toBeUndefined();
    expect(refusedPaths(withDetail({ [field]: above }))).toEqual([`detail.${field}`]);
  });

  it('container names: accepted at 255 characters (ECS internal names too), refused above by index', () => {
    const containers = event.detail.containers as Record<string, unknown>[];
    const named = (name: string) => withDetail({ containers: [{ ...containers[0], name }] });
    expect(refusedPaths(named(name255))).toBeUndefined();
    expect(refusedPaths(named('~internal~ecs~pause'))).toBeUndefined();
    expect(refusedPaths(named(`${name255}n`))).toEqual(['detail.containers[0].name']);
  });

  it('accepts free text of any length, cut with a marker; classification reads the first part', () => {
    const reason = `CannotPullContainerError: pull image manifest has been retried 5 time(s): ${'x'.repeat(200_000)}`;
    const containers = event.detail.containers as Record<string, unknown>[];
    const parsed = parseFailedStartEvent(
      withDetail({
        stoppedReason: reason,
        availabilityZone: 'z'.repeat(50_000),
        containers: [{ ...containers[0], reason, image: 'i'.repeat(50_000) }],
      }),
    );
    if (parsed.kind !== 'task') throw new Error('expected a task');
    const more = reason.length - 1024;
    expect(parsed.task.stoppedReason).toBe(`${reason.slice(0, 1024)}…[cut, ${more} more characters]`);
    expect(parsed.task.containers[0]?.reason).toBe(parsed.task.stoppedReason);
    expect(parsed.task.containers[0]?.image?.length).toBeLessThan(1100);
    expect(parsed.task.availabilityZone?.length).toBeLessThan(1100);
    // As ECS would have sent it: the same text cut at 255.
    const asEcs = reason.slice(0, 255);
    const whole = parseFailedStartEvent(
      withDetail({ stoppedReason: asEcs, containers: [{ ...containers[0], reason: asEcs }] }),
    );
    if (whole.kind !== 'task') throw new Error('expected a task');
    expect(classify(parsed.task).entryId).toBe(classify(whole.task).entryId);
    expect(classify(parsed.task).category).not.toBe('unknown');
  });
});
