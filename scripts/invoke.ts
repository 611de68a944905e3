// Runs a function's real handler with sample events, like Lambda would.
//   npm run invoke -- <function> <event.json|folder>... [--dry-run] [--aws] [--timeout <seconds>]
// By default the AWS target is a local endpoint seeded with the sample cluster; --aws uses the SDK's
// normal configuration (profile, region, AWS_ENDPOINT_URL) instead.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { lambdaContext } from '../test/local-aws/lambda';
import { functionNames } from './build';

const usage =
  'usage: npm run invoke -- <function> <event.json|folder>... [--dry-run] [--aws] [--timeout <seconds>]';

/** Function settings for the sample cluster, on top of the endpoint's own environment. */
export const SAMPLE_FUNCTION_ENVIRONMENT: Record<string, string> = {
  AUTO_SCALING_GROUPS: 'web-asg',
  LIFECYCLE_HOOK_NAMES: 'ecs-autopilot-drain',
  CLUSTERS: 'web',
  CAPACITY_PROVIDERS: 'web-asg-cp',
};

function eventFiles(paths: string[]): string[] {
  return paths.flatMap((path) => {
    if (!existsSync(path)) throw new Error(`No such event file or folder: ${path}`);
    if (!statSync(path).isDirectory()) return [path];
    return readdirSync(path)
      .filter((name) => name.endsWith('.json'))
      .sort()
      .map((name) => join(path, name));
  });
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'dry-run': { type: 'boolean', default: false },
      aws: { type: 'boolean', default: false },
      timeout: { type: 'string', default: '60' },
    },
  });
  const [functionName, ...paths] = positionals;
  if (!functionName || paths.length === 0) throw new Error(usage);
  if (!functionNames().includes(functionName)) {
    throw new Error(`Unknown function "${functionName}". Known: ${functionNames().join(', ')}`);
  }
  const files = eventFiles(paths);
  const timeoutMs = Number(values.timeout) * 1000;

  // Logs go to stderr so stdout carries only results, which can be piped to jq.
  for (const method of ['log', 'info', 'debug', 'warn'] as const) {
    console[method] = (...args: unknown[]) => console.error(...args);
  }
  process.env.POWERTOOLS_DEV ??= 'true';
  if (values['dry-run']) process.env.DRY_RUN = 'true';

  let close = async () => {};
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
    Object.assign(process.env, aws.env());
    for (const [name, value] of Object.entries(SAMPLE_FUNCTION_ENVIRONMENT)) process.env[name] ??= value;
    console.error(`Local AWS endpoint with the sample cluster at ${aws.endpoint} (use --aws for real AWS)`);
  }

  try {
    const { handler } = await import(resolve('functions', functionName, 'index.ts'));
    for (const file of files) {
      const event: unknown = JSON.parse(readFileSync(file, 'utf8'));
      console.error(`\n▶ ${functionName} ← ${file}`);
      const result = await handler(event, lambdaContext({ functionName, timeoutMs }));
      process.stdout.write(`${JSON.stringify({ event: file, result }, null, 2)}\n`);
    }
  } finally {
    await close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
