// status and jobs end to end on the local endpoint: a drain and a job run driven through the real
// handlers, then the commands read what they left in the state table (in process, on the same endpoint).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { stoppedBeforeRunningPattern } from '../../functions/detect-failed-start/rules';
import { dueFromMs } from '../../shared/schedule/identity';
import { matchesPattern } from '../../test/infra/event-pattern';
import { type LocalAws, SAMPLE, startLocalAws } from '../../test/local-aws/index';
import { lambdaContext as realTimeContext } from '../../test/local-aws/lambda';
import { useLocalAwsEnv, useWorldClock } from '../../test/local-aws/vitest';
import type { Io } from './cli';

const sim = vi.hoisted(() => ({ advance: (_ms: number) => {} }));

// The handlers' waits move the simulated clock, so a drain's polling runs in moments.
vi.mock('../../shared/runtime/time', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../shared/runtime/time')>();
  return { ...original, sleep: async (ms: number) => sim.advance(ms) };
});

type Handler = (event: unknown, context: Context) => Promise<unknown>;
type Command = (args: string[], io: Io, local?: LocalAws) => Promise<number>;

/** Lambda's remaining time on the simulated clock. */
function lambdaContext(functionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    ...realTimeContext({ functionName, timeoutMs }),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

const JOB = JSON.parse(
  readFileSync(
    join(import.meta.dirname, '../../events/run-scheduled-task/scheduler-invocation.json'),
    'utf8',
  ),
).job as { name: string };

let aws: LocalAws;
let drain: Handler;
let runJob: Handler;
let detect: Handler;
let status: Command;
let jobs: Command;

beforeAll(async () => {
  aws = await startLocalAws({ seed: 'sample' });
  useLocalAwsEnv(aws, {
    AUTO_SCALING_GROUPS: SAMPLE.group,
    LIFECYCLE_HOOK_NAMES: SAMPLE.hook,
    POLL_INTERVAL_SECONDS: '10',
    DRAIN_DEADLINE_SECONDS: '3600',
    DRY_RUN: 'false',
    CLUSTERS: '',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  useWorldClock(aws);
  sim.advance = (ms) => aws.world.advance(ms);
  ({ handler: drain } = (await import('../../functions/drain-instance/index')) as unknown as {
    handler: Handler;
  });
  ({ handler: runJob } = (await import('../../functions/run-scheduled-task/index')) as unknown as {
    handler: Handler;
  });
  ({ handler: detect } = (await import('../../functions/detect-failed-start/index')) as unknown as {
    handler: Handler;
  });
  ({ status } = await import('./status'));
  ({ jobs } = await import('./jobs'));
});
afterAll(() => aws.close());
beforeEach(() => aws.reset('sample'));

/** Runs a command in process against the test's endpoint; its exit code and output. */
async function run(command: Command, args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await command(args, { out: (text) => out.push(text), err: (text) => err.push(text) }, aws);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** A scale-in whose drain is still under way when the handler's time runs out. */
async function drainInProgress(): Promise<string> {
  aws.world.setDesiredCapacity(SAMPLE.group, SAMPLE.instances.length - 1);
  const [event] = aws.world.takeEvents({ detailType: 'EC2 Instance-terminate Lifecycle Action' });
  await drain(event, lambdaContext('drain-instance', 5_000));
  const { detail } = event as unknown as { detail: { EC2InstanceId: string } };
  return detail.EC2InstanceId;
}

/** The schedule fires for the sample job: run-scheduled-task registers it and starts its run. */
async function scheduledRun(fields: Record<string, unknown> = {}): Promise<string> {
  const scheduledTime = dueFromMs(aws.world.now());
  await runJob({ job: { ...JOB, ...fields }, scheduledTime }, lambdaContext('run-scheduled-task', 60_000));
  return scheduledTime;
}

const BAD_IMAGE = `${SAMPLE.account}.dkr.ecr.${SAMPLE.region}.amazonaws.com/api:1.4.3`;
const PULL_ERROR = `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ${BAD_IMAGE}: ${BAD_IMAGE}: not found`;

/** A service whose image cannot be pulled; its failed starts delivered to detect-failed-start. */
async function failingService(failures: number): Promise<void> {
  const definition = aws.world.registerTaskDefinition({
    family: 'api',
    containerDefinitions: [{ name: 'api', image: BAD_IMAGE, cpu: 256, memoryReservation: 256 }],
  });
  const taskDefinition = `api:${definition.revision}`;
  aws.world.failStarts({ taskDefinition, stoppedReason: PULL_ERROR, containerReason: PULL_ERROR });
  aws.world.createService({ cluster: SAMPLE.cluster, name: 'checkout', taskDefinition, desiredCount: 1 });
  let seen = 0;
  for (let step = 0; step < 2_000 && seen < failures; step++) {
    aws.world.advance(5_000);
    for (const event of aws.world.takeEvents({ detailType: 'ECS Task State Change' })) {
      if (!matchesPattern(stoppedBeforeRunningPattern, event) || seen >= failures) continue;
      seen++;
      await detect(event, lambdaContext('detect-failed-start', 60_000));
    }
  }
  expect(seen).toBe(failures);
}

describe('npm run status', () => {
  it('lists the open failed-start problem with its category and count', async () => {
    await failingService(3);
    const { code, stdout } = await run(status, ['--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).problems).toEqual([
      expect.objectContaining({
        cluster: SAMPLE.cluster,
        category: 'image-pull',
        groups: [{ group: 'service:checkout', failures: 3 }],
        failures: 3,
        totalFailures: 3,
      }),
    ]);
  });

  it('lists the drain in progress and the job with its active run, as JSON', async () => {
    const instanceId = await drainInProgress();
    const due = await scheduledRun();
    const { code, stdout } = await run(status, ['--json']);
    expect(code).toBe(0);
    const answer = JSON.parse(stdout);
    expect(answer.drains).toEqual([
      expect.objectContaining({
        instanceId,
        group: SAMPLE.group,
        cluster: SAMPLE.cluster,
        cause: 'terminate',
      }),
    ]);
    expect(answer.jobs).toEqual([
      expect.objectContaining({
        name: JOB.name,
        lastDue: due,
        activeRuns: [{ due, status: 'STARTED' }],
      }),
    ]);
    expect(answer.problems).toEqual([]);
  });

  it('prints tables for people', async () => {
    const instanceId = await drainInProgress();
    const { code, stdout } = await run(status, []);
    expect(code).toBe(0);
    expect(stdout).toContain('Drains in progress:');
    expect(stdout).toContain(instanceId);
    expect(stdout).toContain('Jobs: none seen yet');
  });
});

describe('npm run jobs', () => {
  it('history shows the scheduled run', async () => {
    const due = await scheduledRun();
    const { code, stdout } = await run(jobs, ['history', JOB.name, '--json']);
    expect(code).toBe(0);
    const { runs } = JSON.parse(stdout);
    expect(runs).toEqual([expect.objectContaining({ due, status: 'STARTED', count: 1 })]);
    expect(runs[0].tasks).toHaveLength(1);
  });

  it('run starts exactly one run due this minute; a second run in the same minute starts none', async () => {
    // The registered definition lets runs overlap: the scheduled run's task is still running.
    await scheduledRun({ concurrencyPolicy: 'Allow' });
    aws.world.advance(5 * 60_000);
    const before = aws.calls.count('ecs:RunTask');
    const first = await run(jobs, ['run', JOB.name, '--json']);
    expect(first.code, first.stdout).toBe(0);
    const started = JSON.parse(first.stdout);
    expect(started).toMatchObject({ status: 'started', job: JOB.name });
    expect(started.due).toMatch(/:00Z$/);
    const second = await run(jobs, ['run', JOB.name, '--json']);
    expect(second.code).toBe(0);
    const again = JSON.parse(second.stdout);
    expect(again.due).toBe(started.due);
    expect(['already-started', 'already-decided']).toContain(again.status);
    expect(aws.calls.count('ecs:RunTask')).toBe(before + 1);
    const { runs } = JSON.parse((await run(jobs, ['history', JOB.name, '--json'])).stdout);
    expect(runs.map((one: { due: string }) => one.due)).toContain(started.due);
    expect(runs).toHaveLength(2);
  });

  it('run keeps the job policies: Forbid with the last run still going waits for it and starts nothing, exit 1', async () => {
    await scheduledRun();
    aws.world.advance(5 * 60_000);
    const before = aws.calls.count('ecs:RunTask');
    const { code, stdout } = await run(jobs, ['run', JOB.name, '--json']);
    expect(code).toBe(1);
    // Forbid holds the due time until its starting deadline, in case the run before it ends in time.
    expect(JSON.parse(stdout)).toMatchObject({ status: 'waiting' });
    expect(aws.calls.count('ecs:RunTask')).toBe(before);
  });

  it('run under --aws starts nothing: it prints the input to invoke the function with, exit 1', async () => {
    await scheduledRun();
    const before = aws.calls.count('ecs:RunTask');
    const { code, stdout, stderr } = await run(jobs, ['run', JOB.name, '--aws']);
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ job: { name: JOB.name }, scheduledTime: expect.any(String) });
    expect(stderr).toContain('invoke the run-scheduled-task function');
    expect(aws.calls.count('ecs:RunTask')).toBe(before);
  });

  it('run of a job never seen fails with the known jobs named', async () => {
    const { code } = await run(jobs, ['run', 'no-such-job']).catch((error: Error) => {
      expect(error.message).toContain('not registered');
      return { code: 1 };
    });
    expect(code).toBe(1);
  });
});

/** The environment before the tests pointed it at their endpoint. */
const USER_ENV = { ...process.env };

/** As a user runs them: tsx, a fresh process. */
function cli(script: string, args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', `scripts/operate/${script}.ts`, ...args], {
    encoding: 'utf8',
    env: { ...USER_ENV, STATE_TABLE: '', POWERTOOLS_LOG_LEVEL: 'SILENT' },
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('command-line manners', () => {
  it.each([
    ['status', ['--help'], 'usage: npm run status'],
    ['jobs', ['--help'], 'usage: npm run jobs'],
    ['jobs', ['history', '--help'], 'usage: npm run jobs -- history'],
    ['jobs', ['run', '--help'], 'usage: npm run jobs -- run'],
  ])('%s %s answers help, exit 0, naming STATE_TABLE for --aws', (script, args, expected) => {
    const { code, stdout } = cli(script, args);
    expect(code).toBe(0);
    expect(stdout).toContain(expected);
    expect(stdout).toContain('STATE_TABLE');
  });

  it.each([
    ['status', ['--bogus']],
    ['status', ['extra']],
    ['jobs', []],
    ['jobs', ['frobnicate', 'x']],
    ['jobs', ['history']],
    ['jobs', ['history', 'x', '--limit', 'zero']],
  ])('%s %s is a usage error: exit 2 with the usage line', (script, args) => {
    const { code, stderr, stdout } = cli(script, args);
    expect(code).toBe(2);
    expect(stderr).toContain(`usage: npm run ${script}`);
    expect(stdout).toBe('');
  });

  it('--aws without STATE_TABLE says what it needs, exit 2', () => {
    const { code, stderr } = cli('status', ['--aws']);
    expect(code).toBe(2);
    expect(stderr).toContain('STATE_TABLE');
  });
});
