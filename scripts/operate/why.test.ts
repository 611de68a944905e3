// why end to end on the local endpoint: scale-capacity removes an idle instance, drain-instance drains it
// through the terminate hook, then `why` reads the decisions both left in the state table.
import { spawnSync } from 'node:child_process';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type LocalAws, SAMPLE, scheduledEvent, startLocalAws } from '../../test/local-aws/index';
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

function lambdaContext(functionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    ...realTimeContext({ functionName, timeoutMs }),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

let aws: LocalAws;
let drain: Handler;
let scale: Handler;
let why: Command;
let status: Command;

beforeAll(async () => {
  aws = await startLocalAws({ seed: 'sample' });
  useLocalAwsEnv(aws, {
    AUTO_SCALING_GROUPS: SAMPLE.group,
    LIFECYCLE_HOOK_NAMES: SAMPLE.hook,
    CAPACITY_PROVIDERS: SAMPLE.capacityProvider,
    CLUSTERS: SAMPLE.cluster,
    SCALE_IN_AFTER_SECONDS: '300',
    MAX_SCALE_IN: '50%',
    POLL_INTERVAL_SECONDS: '10',
    DRAIN_DEADLINE_SECONDS: '3600',
    DRY_RUN: 'false',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  useWorldClock(aws);
  sim.advance = (ms) => aws.world.advance(ms);
  ({ handler: drain } = (await import('../../functions/drain-instance/index')) as unknown as {
    handler: Handler;
  });
  ({ handler: scale } = (await import('../../functions/scale-capacity/index')) as unknown as {
    handler: Handler;
  });
  ({ why } = await import('./why'));
  ({ status } = await import('./status'));
});
afterAll(() => aws.close());

async function run(command: Command, args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await command(args, { out: (text) => out.push(text), err: (text) => err.push(text) }, aws);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** The workers stop, scale-capacity passes each minute until it removes an instance; its drain follows. */
async function scaleIn(): Promise<string> {
  const { world } = aws;
  world.setServiceDesiredCount(SAMPLE.cluster, 'worker', 0);
  world.setServiceDesiredCount(SAMPLE.cluster, 'api', 1);
  world.advance(60_000);
  for (let minute = 0; minute < 10; minute++) {
    const pass = (await scale(
      scheduledEvent('ecs-autopilot-scale-capacity-tick', world.now()),
      lambdaContext('scale-capacity', 60_000),
    )) as { providers: { removed?: string[] }[] };
    const [removed] = pass.providers[0]?.removed ?? [];
    if (removed) {
      const [event] = world
        .takeEvents({ detailType: 'EC2 Instance-terminate Lifecycle Action' })
        .filter((one) => (one.detail as { EC2InstanceId?: string }).EC2InstanceId === removed);
      expect(event, 'the terminate hook announces the removal').toBeDefined();
      // EventBridge delivers the hook's event a moment later.
      world.advance(1_000);
      await drain(event, lambdaContext('drain-instance', 600_000));
      return removed;
    }
    world.advance(60_000);
  }
  throw new Error('scale-capacity removed no instance in 10 passes');
}

describe('why <instance-id>', () => {
  let instanceId: string;
  beforeAll(async () => {
    instanceId = await scaleIn();
  });

  it('lists every decision about the instance, oldest first, from both functions, as JSON', async () => {
    const { code, stdout } = await run(why, [instanceId, '--json']);
    expect(code).toBe(0);
    const answer = JSON.parse(stdout) as {
      instanceId: string;
      decisions: { at: string; function: string; action: string; reasons: string[] }[];
    };
    expect(answer.instanceId).toBe(instanceId);
    const steps = answer.decisions.map((one) => `${one.function} ${one.action}`);
    expect(steps[0]).toBe('scale-capacity chosen-for-removal');
    expect(steps).toContain('drain-instance drain-started');
    expect(steps.at(-1)).toBe('drain-instance hook-completed');
    const times = answer.decisions.map((one) => one.at);
    expect(times).toEqual([...times].sort());
    expect(answer.decisions[0]?.reasons[0]).toMatch(/^idle/);
    for (const decision of answer.decisions) expect(decision.reasons.length).toBeGreaterThan(0);
  });

  it('prints a table for people', async () => {
    const { code, stdout } = await run(why, [instanceId]);
    expect(code).toBe(0);
    expect(stdout).toContain(`Decisions about ${instanceId}`);
    expect(stdout).toMatch(/TIME\s+FUNCTION\s+DECISION\s+WHY/);
    expect(stdout).toContain('chosen-for-removal');
    expect(stdout).toContain('hook-completed');
  });

  it('says when nothing was recorded about an instance, exit 0', async () => {
    const { code, stdout } = await run(why, ['i-0123456789abcdef0']);
    expect(code).toBe(0);
    expect(stdout).toContain('No decision recorded about i-0123456789abcdef0');
  });

  it("status shows the provider's last decision with its reasons", async () => {
    const { code, stdout } = await run(status, ['--json']);
    expect(code).toBe(0);
    const { capacity } = JSON.parse(stdout) as {
      capacity: { cluster: string; provider: string; action: string; reasons: string[] }[];
    };
    expect(capacity).toEqual([
      expect.objectContaining({
        cluster: SAMPLE.cluster,
        provider: SAMPLE.capacityProvider,
        action: expect.stringContaining('scale-in'),
        reasons: expect.arrayContaining([expect.any(String)]),
      }),
    ]);
  });
});

describe('decision records and safety', () => {
  it('drain-instance writes its decisions only after DRAINING and the first heartbeat, and never fails on them', async () => {
    await aws.reset('sample');
    aws.world.setDesiredCapacity(SAMPLE.group, 4);
    aws.world.advance(120_000);
    aws.world.takeEvents();
    aws.world.setDesiredCapacity(SAMPLE.group, 3);
    const [event] = aws.world.takeEvents({ detailType: 'EC2 Instance-terminate Lifecycle Action' });
    const instanceId = String(event?.detail.EC2InstanceId);
    aws.calls.clear();
    await drain(event, lambdaContext('drain-instance', 5_000));
    const calls = aws.calls.list().map((call) => ({
      name: call.name,
      pk: JSON.stringify((call.input.Item as { pk?: unknown } | undefined)?.pk ?? ''),
    }));
    const firstDecision = calls.findIndex((call) => call.pk.includes(`decision#${instanceId}`));
    expect(firstDecision).toBeGreaterThan(-1);
    for (const safety of [
      'ecs:UpdateContainerInstancesState',
      'autoscaling:RecordLifecycleActionHeartbeat',
    ]) {
      const at = calls.findIndex((call) => call.name === safety);
      expect(at, safety).toBeGreaterThan(-1);
      expect(at, `${safety} before the first decision record`).toBeLessThan(firstDecision);
    }
  });
});

/** The environment before the tests pointed it at their endpoint. */
const USER_ENV = { ...process.env };

describe('command-line manners', () => {
  const cli = (args: string[]) => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/operate/why.ts', ...args], {
      encoding: 'utf8',
      env: { ...USER_ENV, STATE_TABLE: '', POWERTOOLS_LOG_LEVEL: 'SILENT' },
      timeout: 60_000,
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };

  it('--help says what it shows and names STATE_TABLE for --aws', () => {
    const { code, stdout } = cli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('usage: ecs-autopilot why <instance-id>');
    expect(stdout).toContain('STATE_TABLE');
  });

  it.each([[[]], [['not-an-instance']], [['i-0123456789abcdef0', 'extra']]])(
    '%j is a usage error: exit 2',
    (args) => {
      const { code, stderr, stdout } = cli(args);
      expect(code).toBe(2);
      expect(stderr).toContain('usage: ecs-autopilot why');
      expect(stdout).toBe('');
    },
  );
});
