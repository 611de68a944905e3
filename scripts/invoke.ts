// Runs a function's real handler with sample events, like Lambda would.
//   npm run invoke -- <function> <event.json|folder>... [--dry-run] [--aws] [--timeout <seconds>]
// By default the AWS target is a local endpoint seeded with the sample cluster; --aws uses the SDK's
// normal configuration (profile, region, AWS_ENDPOINT_URL) instead.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as z from 'zod';
import { SAMPLE, type World } from '../test/local-aws/index';
import { lambdaContext } from '../test/local-aws/lambda';
import { functionNames } from './build';

const usage =
  'usage: npm run invoke -- <function> <event.json|folder>... [--dry-run] [--aws] [--timeout <seconds>] [--verbose]';

const help = `${usage}

Runs a function's real handler with each event, as Lambda would, and prints one JSON result per event
on stdout (logs go to stderr).

  <function>          drain-instance | run-scheduled-task | detect-failed-start | scale-capacity
  <event.json|folder> event files, or folders whose *.json files are run in name order (see events/)
  --dry-run           the function computes and returns its plan and changes nothing
  --aws               real AWS through the SDK's usual configuration (AWS_PROFILE or credentials,
                      AWS_REGION) instead of the local endpoint; the function's own variables must be set:
                      STATE_TABLE, ALERT_TOPIC_ARN and those in functions/<function>/README.md
  --timeout <seconds> the Lambda timeout the handler sees (default 60)
  -v, --verbose       the functions' INFO logs on stderr (default: warnings and errors only)
  -h, --help          this text

Exit code: 0 when every event was handled, 1 when an event was rejected or a handler failed, 2 for a
usage error.`;

/**
 * Makes the sample world live what a drain event announces, so the handler finds it: a terminate
 * lifecycle action of a sample instance starts that scale-in (the event then carries the world's action
 * token), a Spot warning starts the interruption. Other events are about things the sample world
 * already holds, or not at all. Returns the event to hand to the function.
 */
function actOut(world: World, event: unknown): unknown {
  const parsed = drainEventShape.safeParse(event);
  if (!parsed.success) return event;
  const { 'detail-type': detailType, detail } = parsed.data;
  const instanceId = detail.EC2InstanceId ?? detail['instance-id'];
  const instance = world.groupInstances(SAMPLE.group).find((one) => one.instanceId === instanceId);
  if (!instanceId || instance?.lifecycleState !== 'InService') return event;
  if (detailType === 'EC2 Spot Instance Interruption Warning') {
    world.interruptSpot(instanceId);
    return event;
  }
  // Without decrementing: Auto Scaling launches a replacement, so the tasks have somewhere to go.
  world.terminateInstanceInGroup(instanceId, false);
  const action = world
    .lifecycleActions({ instanceId, active: true })
    .find((one) => one.hookName === detail.LifecycleHookName);
  if (!action || typeof event !== 'object' || event === null) return event;
  const original = event as { detail: Record<string, unknown> };
  return { ...original, detail: { ...original.detail, LifecycleActionToken: action.token } };
}

const drainEventShape = z.object({
  'detail-type': z.enum([
    'EC2 Instance-terminate Lifecycle Action',
    'EC2 Spot Instance Interruption Warning',
  ]),
  detail: z.object({
    EC2InstanceId: z.string().optional(),
    LifecycleHookName: z.string().optional(),
    LifecycleActionToken: z.string().optional(),
    'instance-id': z.string().optional(),
  }),
});

/** A usage error: exit code 2, with the usage line. */
class UsageError extends Error {}

/** Function settings for the sample cluster, on top of the endpoint's own environment. */
export const SAMPLE_FUNCTION_ENVIRONMENT: Record<string, string> = {
  AUTO_SCALING_GROUPS: 'web-asg',
  LIFECYCLE_HOOK_NAMES: 'ecs-autopilot-drain',
  CLUSTERS: 'web',
  CAPACITY_PROVIDERS: 'web-asg-cp',
  // The simulated clock runs 30 times faster than the handler's own waits: look every 2 s (a minute).
  POLL_INTERVAL_SECONDS: '2',
};

/** On the local endpoint, simulated time runs at 30 × real time while a handler waits. */
const REAL_MS_PER_TICK = 100;
const SIMULATED_MS_PER_TICK = 3_000;

function eventFiles(paths: string[]): string[] {
  return paths.flatMap((path) => {
    if (!existsSync(path)) throw new UsageError(`No such event file or folder: ${path}`);
    if (!statSync(path).isDirectory()) return [path];
    return readdirSync(path)
      .filter((name) => name.endsWith('.json'))
      .sort()
      .map((name) => join(path, name));
  });
}

function readEvent(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`${file} is not a JSON event: ${error instanceof Error ? error.message : error}`);
  }
}

/** A handler's answer to a bad event: `{ status: 'rejected', error }` (shared/runtime/observability.ts). */
const isRejection = (result: unknown) =>
  typeof result === 'object' && result !== null && 'status' in result && result.status === 'rejected';

function parseCommandLine() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        'dry-run': { type: 'boolean', default: false },
        aws: { type: 'boolean', default: false },
        timeout: { type: 'string', default: '60' },
        verbose: { type: 'boolean', short: 'v', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

async function main(): Promise<number> {
  const { values, positionals } = parseCommandLine();
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return 0;
  }
  const [functionName, ...paths] = positionals;
  if (!functionName || paths.length === 0)
    throw new UsageError('a function and at least one event are needed');
  if (!functionNames().includes(functionName)) {
    throw new UsageError(`Unknown function "${functionName}". Known: ${functionNames().join(', ')}`);
  }
  const timeoutSeconds = Number(values.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    throw new UsageError(`--timeout must be a positive number of seconds, not "${values.timeout}"`);
  }
  // `npm run invoke x y --dry-run` without `--` hands the flag to npm, which sets npm_config_dry_run
  // instead: honour it rather than really applying.
  const dryRun = values['dry-run'] || process.env.npm_config_dry_run === 'true';
  const files = eventFiles(paths);
  const events = files.map((file) => ({ file, event: readEvent(file) }));
  const timeoutMs = timeoutSeconds * 1000;

  // Logs go to stderr so stdout carries only results, which can be piped to jq.
  for (const method of ['log', 'info', 'debug', 'warn'] as const) {
    console[method] = (...args: unknown[]) => console.error(...args);
  }
  process.env.POWERTOOLS_DEV ??= 'true';
  // Quiet unless asked: the functions' own logs are for CloudWatch, not a terminal.
  process.env.POWERTOOLS_LOG_LEVEL ??= values.verbose ? 'INFO' : 'WARN';
  // Lambda runs Node 22; the SDK's notice about the local Node 20 is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  if (dryRun) process.env.DRY_RUN = 'true';

  let close = async () => {};
  let clockWhileWaiting = () => () => {};
  let localWorld: (() => World) | undefined;
  if (!values.aws) {
    const { startLocalAws } = await import('../test/local-aws/index');
    const { followWorldClock } = await import('../test/local-aws/clock');
    const aws = await startLocalAws({ seed: 'sample' });
    // The handlers' clocks follow the sample world's, so the sample events' times line up.
    const restoreDate = followWorldClock(aws);
    close = async () => {
      restoreDate();
      await aws.close();
    };
    // The world's clock runs while a handler waits, so a drain, a job or a scale-out finishes in seconds
    // rather than standing still. A dry run changes nothing, so its world stays put.
    if (!dryRun) {
      clockWhileWaiting = () => {
        const ticker = setInterval(() => aws.world.advance(SIMULATED_MS_PER_TICK), REAL_MS_PER_TICK);
        return () => clearInterval(ticker);
      };
    }
    localWorld = () => aws.world;
    Object.assign(process.env, aws.env());
    for (const [name, value] of Object.entries(SAMPLE_FUNCTION_ENVIRONMENT)) process.env[name] ??= value;
    console.error(`Local AWS endpoint with the sample cluster at ${aws.endpoint} (use --aws for real AWS)`);
  }

  let failures = 0;
  try {
    const { handler } = await import(resolve('functions', functionName, 'index.ts'));
    for (const { file, event } of events) {
      console.error(`\n▶ ${functionName} ← ${file}`);
      try {
        const delivered = localWorld && !dryRun ? actOut(localWorld(), event) : event;
        const stopClock = clockWhileWaiting();
        const result = await handler(delivered, lambdaContext({ functionName, timeoutMs })).finally(
          stopClock,
        );
        if (isRejection(result)) failures += 1;
        process.stdout.write(`${JSON.stringify({ event: file, result }, null, 2)}\n`);
      } catch (error) {
        failures += 1;
        console.error(`${file}: the handler failed: ${error instanceof Error ? error.message : error}`);
      }
    }
  } finally {
    await close();
  }
  return failures === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    if (error instanceof UsageError) console.error(`${usage}\n(npm run invoke -- --help for more)`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
