// Contract test: every sample event in events/detect-failed-start goes through the real handler.
import { DescribeTasksCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CATEGORIES } from '../../shared/failed-start/taxonomy';
import {
  BASE_ENV,
  ecsMock,
  lambdaContext,
  mockAws,
  publishedAlerts,
  sampleEvent,
  sampleEventNames,
  startStateTable,
} from '../../test/support/detect-failed-start.fixtures';

let table: Awaited<ReturnType<typeof startStateTable>>;
let handler: typeof import('./index').handler;
let clearTaskDefinitionCache: () => void;
let request = 0;

beforeAll(async () => {
  table = await startStateTable();
  Object.assign(process.env, BASE_ENV);
  handler = (await import('./index')).handler;
  clearTaskDefinitionCache = (await import('../../shared/aws/ecs')).clearTaskDefinitionCache;
});

afterAll(async () => {
  await table?.close();
});

beforeEach(async () => {
  await table.reset();
  mockAws();
  clearTaskDefinitionCache();
  (await import('./task-definitions')).forgetTaskDefinitions();
});

const invoke = (event: unknown) => handler(event, lambdaContext(`request-${++request}`));

/**
 * Sample events named after a category are failures of that category, except the intentional stop and
 * the host interruption (not alerted by default).
 */
const categoryEvents = sampleEventNames().filter(
  (name) =>
    (CATEGORIES as readonly string[]).includes(name) &&
    name !== 'stopped-by-user-or-scheduler' &&
    name !== 'host-or-spot',
);

describe('sample events', () => {
  it('has one sample event per category', () => {
    expect(sampleEventNames()).toEqual(expect.arrayContaining([...CATEGORIES]));
  });

  it.each(categoryEvents)('%s: one alert of that category, readable and bounded', async (name) => {
    const result = await invoke(sampleEvent(name));
    expect(result).toMatchObject({ status: 'ok', results: [{ status: 'alerted', category: name }] });
    const [alert] = publishedAlerts();
    expect(alert?.subject.length).toBeLessThanOrEqual(100);
    expect(alert?.text).toContain('HOW TO FIX');
    expect(alert?.text).toContain('https://us-east-1.console.aws.amazon.com/ecs/v2/clusters/web/tasks/');
    expect(alert?.data).toMatchObject({
      category: name,
      cluster: 'web',
      schema: 'ecs-autopilot.failed-start/v2',
    });
  });

  it('stopped-by-user-or-scheduler: ignored by default', async () => {
    const result = await invoke(sampleEvent('stopped-by-user-or-scheduler'));
    expect(result).toMatchObject({ results: [{ status: 'ignored', reason: 'intentional-stop' }] });
    expect(publishedAlerts()).toEqual([]);
  });

  it('host-or-spot: ignored by default (ECS replaces a task whose instance went away)', async () => {
    const result = await invoke(sampleEvent('host-or-spot'));
    expect(result).toMatchObject({
      results: [{ status: 'ignored', reason: 'host-interruption', category: 'host-or-spot' }],
    });
    expect(publishedAlerts()).toEqual([]);
  });

  it('ran-then-stopped: no alert', async () => {
    const result = await invoke(sampleEvent('ran-then-stopped'));
    expect(result).toMatchObject({ results: [{ status: 'ignored', reason: 'ran-then-stopped' }] });
    expect(publishedAlerts()).toEqual([]);
  });

  it('standalone-task: alerts for the task family', async () => {
    await invoke(sampleEvent('standalone-task'));
    const [alert] = publishedAlerts();
    expect(alert?.subject).toBe('[web] task family report failed to start: Registry denied the pull');
    expect(alert?.text).toContain('Task family:       report');
  });

  it('service-crash-loop: three failures, one alert', async () => {
    const results = [];
    for (const n of [1, 2, 3]) results.push(await invoke(sampleEvent(`service-crash-loop-${n}`)));
    expect(results.map((result) => (result as { results: { status: string }[] }).results[0]?.status)).toEqual(
      ['alerted', 'counted', 'counted'],
    );
    expect(publishedAlerts()).toHaveLength(1);
    expect(publishedAlerts()[0]?.subject).toBe('[web] service api failed to start: Wrong CPU architecture');
  });

  it('malformed: rejected with the fields at fault, nothing sent', async () => {
    const result = await invoke(sampleEvent('malformed'));
    expect(result).toMatchObject({ status: 'rejected', error: { name: 'BadEventError' } });
    const paths = (result as { error: { issues: { path: string }[] } }).error.issues.map(
      (issue) => issue.path,
    );
    expect(paths.sort()).toEqual(['detail.taskArn', 'detail.version']);
    expect(publishedAlerts()).toEqual([]);
  });

  it('reconcile-schedule: sweeps the stopped tasks of the default cluster', async () => {
    const failed = sampleEvent('image-pull').detail;
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [failed.taskArn] });
    ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [
        {
          ...failed,
          createdAt: new Date(String(failed.createdAt)),
          stoppedAt: new Date(String(failed.stoppedAt)),
        } as never,
      ],
    });
    const first = await invoke(sampleEvent('reconcile-schedule'));
    expect(first).toMatchObject({ status: 'ok', scanned: 1, results: [{ status: 'alerted' }] });
    expect(ecsMock).toHaveReceivedCommandWith(ListTasksCommand, { cluster: 'web', desiredStatus: 'STOPPED' });
    // The next pass finds the same task already handled: nothing more is sent.
    const second = await invoke(sampleEvent('reconcile-schedule'));
    expect(second).toMatchObject({ status: 'ok', scanned: 1, results: [] });
    expect(publishedAlerts()).toHaveLength(1);
  });
});
