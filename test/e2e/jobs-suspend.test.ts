// npm run jobs -- suspend|resume <job> end to end: the command sets the flag on the job's registry item on
// the local endpoint, and run-scheduled-task's real handler honours it: a suspended job's due times are
// recorded skipped (no run, no alert), its silence is not alerted, and after resume its next due time runs.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Io } from '../../scripts/operate/cli';
import { type LocalAws, SAMPLE, startLocalAws } from '../local-aws/index';
import { useLocalAwsEnv, useWorldClock } from '../local-aws/vitest';
import { type Handler, schedulerHarness, TICK } from './support/scheduler';

const sim = vi.hoisted(() => ({ advance: (_ms: number) => {} }));

vi.mock('../../shared/runtime/time', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../shared/runtime/time')>();
  return { ...original, sleep: async (ms: number) => sim.advance(ms) };
});

type Command = (args: string[], io: Io, local?: LocalAws) => Promise<number>;

let aws: LocalAws;
let handler: Handler;
let jobs: Command;
const { invoke, due, run, registry, reportTasks, alerts, deliverTaskEvents } = schedulerHarness(
  () => aws,
  () => handler,
);

beforeAll(async () => {
  aws = await startLocalAws({ seed: 'sample' });
  useLocalAwsEnv(aws, { DRY_RUN: 'false', POWERTOOLS_LOG_LEVEL: 'SILENT' });
  useWorldClock(aws);
  sim.advance = (ms) => aws.world.advance(ms);
  ({ handler } = (await import('../../functions/run-scheduled-task/index')) as unknown as {
    handler: Handler;
  });
  ({ jobs } = await import('../../scripts/operate/jobs'));
});

afterAll(() => aws.close());

beforeEach(async () => {
  await aws.reset('sample');
});

async function command(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await jobs(args, { out: (text) => out.push(text), err: (text) => err.push(text) }, aws);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** An hourly job that says so (expectEverySeconds), so a silence would be alerted. */
const hourly = () => due({ expectEverySeconds: 3600, startingDeadlineSeconds: 600 });
const HOUR_MS = 3_600_000;

describe('npm run jobs -- suspend | resume', () => {
  it('a suspended job skips its due times without an alert, is not called silent, and runs again once resumed', async () => {
    const first = hourly();
    expect(await invoke(first.event)).toMatchObject({ status: 'started' });
    aws.world.advance(HOUR_MS);
    await deliverTaskEvents();

    const suspended = await command(['suspend', 'nightly-report', '--json']);
    expect(suspended.code).toBe(0);
    expect(JSON.parse(suspended.stdout)).toMatchObject({ job: 'nightly-report', suspended: true });
    expect(await registry()).toMatchObject({ suspended: true });

    const skipped = hourly();
    expect(await invoke(skipped.event)).toMatchObject({
      status: 'skipped',
      reason: expect.stringMatching(/the job is suspended/),
    });
    expect(await run(skipped.due)).toMatchObject({ status: 'SKIPPED' });
    expect(aws.calls.count('ecs:RunTask')).toBe(1);

    // Its schedule disabled meanwhile: hours without a due time, and no silence alert.
    for (let step = 0; step < 8; step++) {
      aws.world.advance(HOUR_MS / 2);
      await invoke(TICK);
    }
    expect(alerts()).toEqual([]);

    const resumed = await command(['resume', 'nightly-report']);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toBe('nightly-report resumed: its next due time runs');
    expect(await registry()).not.toHaveProperty('suspended');
    const next = hourly();
    expect(await invoke(next.event)).toMatchObject({ status: 'started' });
    expect(reportTasks('RUNNING')).toHaveLength(1);
  });

  it('a due time waiting for an earlier run (Forbid) is skipped once the job is suspended', async () => {
    await invoke(due({ concurrencyPolicy: 'Forbid' }).event);
    aws.world.advance(60_000);
    const waiting = due({ concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 900 });
    expect(await invoke(waiting.event)).toMatchObject({ status: 'waiting' });
    await command(['suspend', 'nightly-report']);
    aws.world.advance(SAMPLE.reportRunMs);
    await deliverTaskEvents();
    await invoke(TICK);
    expect(await run(waiting.due)).toMatchObject({
      status: 'SKIPPED',
      reason: expect.stringMatching(/suspended/),
    });
    expect(aws.calls.count('ecs:RunTask')).toBe(1);
  });

  it('says what it does in --help, and names the known jobs for one never seen', async () => {
    for (const sub of ['suspend', 'resume']) {
      const help = await command([sub, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^usage: npm run jobs -- ${sub} <job>`));
    }
    expect((await command(['--help'])).stdout).toMatch(/suspend <job> +its due times are skipped/);
    await invoke(due().event);
    await expect(command(['suspend', 'no-such-job'])).rejects.toThrow(/Known: nightly-report/);
  });
});
