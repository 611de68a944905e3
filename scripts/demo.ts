/**
 * `npm run demo`: the real functions against the local endpoint, one narrated scenario per function.
 * Offline, no credentials. Scenarios live in scripts/demo/<function>.ts (see scripts/demo/types.ts);
 * a function without a scenario is simply absent. `--verbose` shows the functions' own logs,
 * `--only <function>` runs one scenario.
 */
import { readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { followWorldClock } from '../test/local-aws/clock';
import { type LocalAws, SAMPLE, startLocalAws } from '../test/local-aws/index';
import { lambdaContext } from '../test/local-aws/lambda';
import type { DemoContext, DemoOutcome, DemoScenario } from './demo/types';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const scenarioDir = join(root, 'scripts', 'demo');
const args = process.argv.slice(2);
const verbose = args.includes('--verbose') || args.includes('-v');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const SCENARIO_TIMEOUT_MS = 40_000;

const help = `usage: npm run demo [-- --only <function>] [--verbose]

Runs each function's narrated scenario (scripts/demo/<function>.ts) with the real handlers on a local
endpoint seeded with the sample cluster (offline, no credentials, simulated clock), then shows what an
operator sees afterwards: status, and why about an instance a scenario drained.

  --only <function>   one scenario (drain-instance, run-scheduled-task, detect-failed-start, scale-capacity)
  -v, --verbose       the functions' own logs
  -h, --help          this text

Exit code: 0 when every scenario passed, 1 otherwise.`;

type Handler = (event: unknown, context: Context) => Promise<unknown>;

const style = {
  bold: (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text),
  dim: (text: string) => (process.stdout.isTTY ? `\x1b[2m${text}\x1b[0m` : text),
  ok: (text: string) => (process.stdout.isTTY ? `\x1b[32m${text}\x1b[0m` : text),
  fail: (text: string) => (process.stdout.isTTY ? `\x1b[31m${text}\x1b[0m` : text),
};

async function findScenarios(): Promise<{ file: string; scenario: DemoScenario }[]> {
  const files = (await readdir(scenarioDir))
    .filter((name) => name.endsWith('.ts') && name !== 'types.ts' && !name.endsWith('.test.ts'))
    .sort();
  const found: { file: string; scenario: DemoScenario }[] = [];
  for (const file of files) {
    const module = (await import(pathToFileURL(join(scenarioDir, file)).href)) as { scenario?: DemoScenario };
    if (!module.scenario || typeof module.scenario.run !== 'function') {
      throw new Error(`scripts/demo/${file} must export \`const scenario: DemoScenario\``);
    }
    if (!only || module.scenario.function === only) found.push({ file, scenario: module.scenario });
  }
  return found;
}

function baseEnvironment(aws: LocalAws): Record<string, string> {
  return {
    ...aws.env(),
    DRY_RUN: 'false',
    POWERTOOLS_DEV: 'true',
    POWERTOOLS_LOG_LEVEL: verbose ? 'INFO' : 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function seconds(ms: number) {
  return `${(ms / 1000).toFixed(1)} s`;
}

async function invokeHandler(
  handlers: Map<string, Handler>,
  fnName: string,
  event: unknown,
  options: { timeoutMs?: number },
): Promise<unknown> {
  let handler = handlers.get(fnName);
  if (!handler) {
    const module = (await import(pathToFileURL(join(root, 'functions', fnName, 'index.ts')).href)) as {
      handler?: Handler;
    };
    if (typeof module.handler !== 'function')
      throw new Error(`functions/${fnName}/index.ts exports no handler`);
    handler = module.handler;
    handlers.set(fnName, handler);
  }
  return handler(
    event,
    lambdaContext({ functionName: `ecs-autopilot-${fnName}`, timeoutMs: options.timeoutMs }),
  );
}

/**
 * What an operator sees after the scenarios, on the same endpoint: an instance of web-asg is terminated
 * and drain-instance drains it; `status` mid-drain (with scale-capacity's last change from its
 * scenario), then, once drained, `why` about that instance.
 */
async function operatorView(aws: LocalAws, handlers: Map<string, Handler>): Promise<void> {
  const { status } = await import('./operate/status');
  const { why } = await import('./operate/why');
  const { world } = aws;
  const io = {
    out: (text: string) =>
      console.log(
        text
          .split('\n')
          .map((line) => (line ? `   ${line}` : ''))
          .join('\n'),
      ),
    err: (text: string) => {
      if (verbose) console.error(text);
    },
  };
  Object.assign(process.env, {
    AUTO_SCALING_GROUPS: SAMPLE.group,
    LIFECYCLE_HOOK_NAMES: SAMPLE.hook,
    POLL_INTERVAL_SECONDS: '10',
  });
  // One pass per invocation; the every-minute reconcile carries the drain on (as the drain scenario).
  const drain = (event: unknown) => invokeHandler(handlers, 'drain-instance', event, { timeoutMs: 12_000 });
  console.log(`\n${style.bold('What an operator sees')}`);
  const victim = world.groupInstances(SAMPLE.group).find((one) => one.lifecycleState === 'InService');
  if (!victim) return;
  const { instanceId } = victim;
  world.takeEvents();
  // As `aws autoscaling terminate-instance-in-auto-scaling-group` would (a replacement is launched).
  world.terminateInstanceInGroup(instanceId, false);
  const [event] = world.takeEvents({ detailType: 'EC2 Instance-terminate Lifecycle Action' });
  if (!event) return;
  console.log(`   Someone terminates ${instanceId} in ${SAMPLE.group}; drain-instance starts draining it.`);
  await drain(event);
  world.advance(20_000);
  console.log(style.dim('\n   $ ecs-autopilot status'));
  await status([], io, aws);
  const tick = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };
  for (let pass = 0; pass < 10 && world.lifecycleActions({ instanceId, active: true }).length > 0; pass++) {
    await drain(tick);
    world.advance(20_000);
  }
  console.log(style.dim(`\n   $ ecs-autopilot why ${instanceId}`));
  await why([instanceId], io, aws);
}

async function main(): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(help);
    return 0;
  }
  const started = performance.now();
  // Node 20 is supported by the installed SDK; its notice about future versions is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const aws = await startLocalAws({ seed: 'sample' });
  // Function modules build their SDK clients at import: the environment must be set first.
  Object.assign(process.env, baseEnvironment(aws));
  const restoreDate = followWorldClock(aws);
  const handlers = new Map<string, Handler>();

  try {
    const scenarios = await findScenarios();
    console.log(style.bold('ecs-autopilot demo'));
    console.log(
      style.dim(
        `Local endpoint ${aws.endpoint}: cluster "web", Auto Scaling group "web-asg" (3 x m5.large), services api x4, worker x2, log-router (daemon). Simulated clock, no network, no credentials.`,
      ),
    );
    if (scenarios.length === 0) {
      console.log(
        only
          ? `\nNo scenario for "${only}" in scripts/demo/.`
          : '\nNo scenarios yet: scripts/demo/ holds none. Each function adds scripts/demo/<function>.ts when it is implemented.',
      );
      return 0;
    }

    const results: { scenario: DemoScenario; outcome: DemoOutcome; ms: number }[] = [];
    for (const [index, { scenario }] of scenarios.entries()) {
      await aws.reset('sample');
      console.log(
        `\n${style.bold(`${index + 1}. ${scenario.title}`)} ${style.dim(`(${scenario.function})`)}`,
      );
      const previousEnv = Object.fromEntries(
        Object.keys(scenario.env ?? {}).map((key) => [key, process.env[key]]),
      );
      Object.assign(process.env, scenario.env ?? {});
      const ctx: DemoContext = {
        aws,
        narrate: (text) => console.log(`   ${text.replaceAll('\n', '\n   ')}`),
        invoke: (fnName, event, options = {}) => invokeHandler(handlers, fnName, event, options),
      };
      const scenarioStarted = performance.now();
      let outcome: DemoOutcome;
      try {
        outcome = await withTimeout(scenario.run(ctx), SCENARIO_TIMEOUT_MS, `Scenario "${scenario.title}"`);
      } catch (error) {
        outcome = { ok: false, summary: `failed: ${error instanceof Error ? error.message : String(error)}` };
        if (verbose && error instanceof Error) console.error(error.stack);
      } finally {
        for (const [key, value] of Object.entries(previousEnv)) {
          if (value === undefined) delete process.env[key];
          else process.env[key] = value;
        }
      }
      const ms = performance.now() - scenarioStarted;
      results.push({ scenario, outcome, ms });
      console.log(
        `   ${outcome.ok ? style.ok('✔') : style.fail('✘')} ${outcome.summary} ${style.dim(`(${seconds(ms)})`)}`,
      );
    }

    await operatorView(aws, handlers).catch((error: unknown) =>
      console.log(`   (could not show it: ${error instanceof Error ? error.message : error})`),
    );

    const failed = results.filter((r) => !r.outcome.ok);
    console.log(`\n${style.bold('Summary')}`);
    for (const { scenario, outcome } of results) {
      console.log(
        `  ${outcome.ok ? style.ok('✔') : style.fail('✘')} ${scenario.function.padEnd(22)} ${outcome.summary}`,
      );
    }
    console.log(
      `\n${results.length - failed.length}/${results.length} scenarios passed in ${seconds(performance.now() - started)}.`,
    );
    return failed.length === 0 ? 0 : 1;
  } finally {
    restoreDate();
    await aws.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.stack : error);
    process.exit(1);
  },
);
