// Cold-start cost per function: importing its bundle in a fresh Node process, against importing a bundle
// of only the AWS SDK clients it uses, and against a bare `node -e 0`. Medians of interleaved runs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { buildFunction, DIST_DIR, functionNames } from '../scripts/build';

export interface ColdStartRow {
  function: string;
  bundleBytes: number;
  sdkClients: string[];
  initMs: number;
  sdkOnlyMs: number;
  bareNodeMs: number;
}

const CLIENT_CLASSES: Record<string, string> = {
  'client-ecs': 'ECSClient',
  'client-auto-scaling': 'AutoScalingClient',
  'client-sns': 'SNSClient',
  'client-dynamodb': 'DynamoDBClient',
  'client-eventbridge': 'EventBridgeClient',
};

function sdkClientsOf(name: string): string[] {
  const meta = JSON.parse(readFileSync(join(DIST_DIR, name, 'meta.json'), 'utf8')) as {
    inputs: Record<string, unknown>;
  };
  const found = new Set<string>();
  for (const input of Object.keys(meta.inputs)) {
    const match = /node_modules\/@aws-sdk\/(client-[a-z-]+)\//.exec(input);
    if (match?.[1] && CLIENT_CLASSES[match[1]]) found.add(match[1]);
  }
  return [...found].sort();
}

/** A bundle built like the functions' that only creates the same SDK clients. */
async function buildSdkOnly(name: string, clients: string[]): Promise<string> {
  const dir = join(DIST_DIR, 'bench', name);
  mkdirSync(dir, { recursive: true });
  const entry = join(dir, 'entry.mjs');
  writeFileSync(
    entry,
    clients
      .map(
        (client, index) =>
          `import { ${CLIENT_CLASSES[client]} as C${index} } from '@aws-sdk/${client}'; new C${index}({});`,
      )
      .join('\n'),
  );
  const outfile = join(dir, 'sdk-only.mjs');
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    // Same resolution as the functions' bundles (scripts/build.ts), so only our own code differs.
    mainFields: ['module', 'main'],
    minify: true,
    nodePaths: [resolve('node_modules')],
    banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
    logLevel: 'warning',
  });
  return outfile;
}

const ENV = {
  ...process.env,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  // Every function's required variables, so module-scope config validation passes.
  STATE_TABLE: 'ecs-autopilot-state',
  ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:ecs-autopilot-alerts',
  DEFAULT_CLUSTER: 'web',
  AUTO_SCALING_GROUPS: 'web-asg',
  LIFECYCLE_HOOK_NAMES: 'ecs-autopilot-drain',
  CLUSTER: 'web',
  CAPACITY_PROVIDERS: 'web-asg-cp',
};

/** Wall time of one fresh process importing `file` (or running `node -e 0` when undefined). */
function timeProcess(file?: string): number {
  const args = file
    ? ['--input-type=module', '-e', `await import(${JSON.stringify(resolve(file))})`]
    : ['-e', '0'];
  const started = process.hrtime.bigint();
  execFileSync(process.execPath, args, { env: ENV, stdio: ['ignore', 'ignore', 'inherit'] });
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

export async function benchColdStart(runs = 15): Promise<ColdStartRow[]> {
  const rows: ColdStartRow[] = [];
  for (const name of functionNames()) {
    await buildFunction(name);
    const bundle = join(DIST_DIR, name, 'index.mjs');
    const clients = sdkClientsOf(name);
    const sdkOnly = await buildSdkOnly(name, clients);
    const times = { init: [] as number[], sdk: [] as number[], bare: [] as number[] };
    timeProcess(bundle); // warm the file cache
    for (let run = 0; run < runs; run++) {
      times.init.push(timeProcess(bundle));
      times.sdk.push(timeProcess(sdkOnly));
      times.bare.push(timeProcess());
    }
    rows.push({
      function: name,
      bundleBytes: statSync(bundle).size,
      sdkClients: clients,
      initMs: median(times.init),
      sdkOnlyMs: median(times.sdk),
      bareNodeMs: median(times.bare),
    });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.table(await benchColdStart());
}
