import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BadEventError } from '../runtime/errors';
import { parseInvocation } from './invocation';

const folder = join(import.meta.dirname, '../../events/run-scheduled-task');
const sample = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(folder, name), 'utf8'));

function rejection(event: unknown) {
  try {
    parseInvocation(event);
  } catch (error) {
    if (error instanceof BadEventError) return error.issues;
    throw error;
  }
  throw new Error('expected a BadEventError');
}

describe('parseInvocation', () => {
  it('classifies every sample event', () => {
    const kinds = Object.fromEntries(
      readdirSync(folder)
        .filter((name) => name.endsWith('.json'))
        .map((name) => [name, parseInvocation(sample(name)).kind]),
    );
    expect(kinds).toEqual({
      'invalid-job.json': 'run',
      'reconcile-tick.json': 'reconcile',
      'scheduled-rule-event.json': 'run',
      'scheduler-invocation.json': 'run',
      'task-running.json': 'task-state',
      'task-stopped-failed.json': 'task-state',
      'task-stopped-succeeded.json': 'task-state',
    });
  });

  it('takes the due time from Scheduler input and from the rule event time', () => {
    expect(parseInvocation(sample('scheduler-invocation.json'))).toMatchObject({
      kind: 'run',
      via: 'scheduler',
      due: '2025-01-15T03:00:00Z',
      executionId: '9c2b5f3e-7a41-4f4e-9d1c-2b1f0e8a6c55',
    });
    expect(parseInvocation(sample('scheduled-rule-event.json'))).toMatchObject({
      kind: 'run',
      via: 'rule',
      due: '2025-01-15T03:00:00Z',
    });
  });

  it('accepts fields AWS may add', () => {
    const event = sample('task-stopped-succeeded.json');
    const detail = { ...(event.detail as object), somethingNew: { nested: true } };
    expect(parseInvocation({ ...event, newTopLevel: 1, detail }).kind).toBe('task-state');
    expect(
      parseInvocation({ ...sample('scheduler-invocation.json'), scheduleArn: 'arn:x', extra: 1 }).kind,
    ).toBe('run');
  });

  it('explains an unreplaced Scheduler placeholder', () => {
    expect(rejection({ job: {}, scheduledTime: '<aws.scheduler.scheduled-time>' })).toEqual([
      {
        path: 'scheduledTime',
        message:
          "scheduledTime is the unreplaced placeholder <aws.scheduler.scheduled-time>: the schedule's input must be set on an EventBridge Scheduler target",
      },
    ]);
  });

  it('refuses what it cannot act on, saying where', () => {
    expect(rejection({ job: { name: 'x' } })[0]?.path).toBe('scheduledTime');
    expect(rejection({ scheduledTime: '2025-01-15T03:00:00Z' })[0]).toEqual({
      path: 'job',
      message: 'job is required',
    });
    expect(rejection([])[0]?.message).toBe('expected a JSON object');
    expect(rejection({ hello: 'world' })[0]?.message).toMatch(/not a run-scheduled-task event/);
    const rule = sample('scheduled-rule-event.json');
    expect(rejection({ ...rule, time: 'soon' })[0]?.path).toBe('time');
    const stopped = sample('task-stopped-succeeded.json');
    expect(rejection({ ...stopped, 'detail-type': 'ECS Container Instance State Change' })[0]?.path).toBe(
      'detail-type',
    );
    const { taskArn: _, ...detail } = stopped.detail as Record<string, unknown>;
    expect(rejection({ ...stopped, detail })[0]).toEqual({
      path: 'detail.taskArn',
      message: 'detail.taskArn is required',
    });
  });
});

describe('size limits', () => {
  const name255 = 'n'.repeat(255);
  const arn = (resource: string) => `arn:aws:ecs:us-east-1:123456789012:${resource}`;
  const stopped = sample('task-stopped-failed.json') as { detail: Record<string, unknown> };
  const withDetail = (fields: Record<string, unknown>) => ({
    ...stopped,
    detail: { ...stopped.detail, ...fields },
  });
  const refusedPaths = (event: unknown) => {
    try {
      parseInvocation(event);
      return undefined;
    } catch (error) {
      if (!(error instanceof BadEventError)) throw error;
      return error.issues.map((issue) => issue.path);
    }
  };

  it.each([
    ['taskArn', arn(`task/${name255}/${name255}`), arn(`task/web/${name255}n`)],
    ['clusterArn', arn(`cluster/${name255}`), arn(`cluster/${name255}n`)],
    ['taskDefinitionArn', arn(`task-definition/${name255}:7`), arn(`task-definition/${name255}n:7`)],
    ['startedBy', 's'.repeat(128), 's'.repeat(129)],
    ['group', `family:${name255}`, `service:${name255}n`],
  ])('detail.%s: accepted at the limit, refused just above it by name', (field, atLimit, above) => {
    expect(refusedPaths(withDetail({ [field]: atLimit }))).toBeUndefined();
    expect(refusedPaths(withDetail({ [field]: above }))).toEqual([`detail.${field}`]);
  });

  it('container names: 255 characters accepted, more refused by index', () => {
    const named = (name: string) => withDetail({ containers: [{ name, exitCode: 1 }] });
    expect(refusedPaths(named(name255))).toBeUndefined();
    expect(refusedPaths(named(`${name255}n`))).toEqual(['detail.containers[0].name']);
  });

  it('container images: any length, cut; anything but a string refused by path', () => {
    const imaged = (image: unknown) => withDetail({ containers: [{ name: 'report', exitCode: 1, image }] });
    expect(refusedPaths(imaged(-6.2e64))).toEqual(['detail.containers[0].image']);
    const parsed = parseInvocation(imaged(`registry.example.com/${'r'.repeat(5000)}`));
    if (parsed.kind !== 'task-state') throw new Error('expected a task state change');
    expect(parsed.detail.containers?.[0]?.image).toMatch(/…\[cut, 3997 more characters\]$/);
  });

  it('event id and Scheduler execution id: 128 characters accepted, more refused by name', () => {
    expect(refusedPaths({ ...stopped, id: 'i'.repeat(128) })).toBeUndefined();
    expect(refusedPaths({ ...stopped, id: 'i'.repeat(129) })).toEqual(['id']);
    const scheduler = sample('scheduler-invocation.json');
    expect(refusedPaths({ ...scheduler, executionId: 'e'.repeat(128) })).toBeUndefined();
    expect(refusedPaths({ ...scheduler, executionId: 'e'.repeat(129) })).toEqual(['executionId']);
    expect(refusedPaths({ ...stopped, source: 's'.repeat(257) })).toEqual(['source']);
    expect(refusedPaths({ ...stopped, 'detail-type': 'd'.repeat(129) })).toEqual(['detail-type']);
  });

  it('cuts free text (reasons, stop codes, timestamps) and drops tags past ECS tag limits', () => {
    const reason = `Essential container in task exited ${'x'.repeat(100_000)}`;
    const parsed = parseInvocation(
      withDetail({
        stoppedReason: reason,
        stopCode: 'c'.repeat(100_000),
        stoppedAt: 't'.repeat(100_000),
        containers: [{ name: 'report', exitCode: 1, reason }],
        tags: [
          { key: 'ecs-autopilot:job', value: 'v'.repeat(257) },
          { key: 'team', value: 'v'.repeat(256) },
        ],
      }),
    );
    if (parsed.kind !== 'task-state') throw new Error('expected a task state change');
    const { detail } = parsed;
    expect(detail.stoppedReason).toBe(
      `${reason.slice(0, 1024)}…[cut, ${reason.length - 1024} more characters]`,
    );
    expect(detail.containers?.[0]?.reason).toBe(detail.stoppedReason);
    expect(detail.stopCode?.length).toBeLessThan(1100);
    expect(String(detail.stoppedAt).length).toBeLessThan(1100);
    expect(detail.tags).toEqual([{ key: 'team', value: 'v'.repeat(256) }]);
  });

  it('quotes at most a little of a bad due time', () => {
    const issues = rejection({ ...sample('scheduler-invocation.json'), scheduledTime: 'x'.repeat(100_000) });
    expect(issues.map((issue) => issue.path)).toEqual(['scheduledTime']);
    expect(issues[0]?.message.length).toBeLessThan(300);
  });
});
