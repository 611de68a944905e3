// scale-capacity's planner as a what-if tool.
//   npm run plan -- <snapshot.json> [--json] [--trace] [--now <ISO time>]
//   npm run plan -- --from-aws <cluster> <capacity-provider> [--local] [--save <file>] [--json]
// A snapshot file is documented in functions/scale-capacity/README.md; samples are in
// events/scale-capacity/snapshots/. --from-aws builds the snapshot the function would see, from the
// SDK's normal configuration (or, with --local, from a local endpoint seeded with the sample cluster),
// with the function's settings from the same environment variables (SCALE_IN_AFTER_SECONDS, ...).
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatPlan } from '../shared/capacity/format';
import { planCapacity } from '../shared/capacity/planner';
import { type CapacitySnapshot, parseSnapshot } from '../shared/capacity/snapshot';

const usage = [
  'usage: npm run plan -- <snapshot.json> [--json] [--trace] [--now <ISO time>]',
  '       npm run plan -- --from-aws <cluster> <capacity-provider> [--local] [--save <file>] [--json]',
].join('\n');

const help = `${usage}

scale-capacity's planner as a what-if tool: the plan it would make, with its reasons, changing nothing.

  <snapshot.json>        what the function would see (format: functions/scale-capacity/README.md;
                         samples in events/scale-capacity/snapshots/)
  --from-aws <cluster> <capacity-provider>
                         the snapshot read from AWS through the SDK's usual configuration (AWS_PROFILE or
                         credentials, AWS_REGION; STATE_TABLE for the capacity requests and markers, default
                         ecs-autopilot-state) and the function's settings from the same variables
                         (SCALE_IN_AFTER_SECONDS, ...); with --local from a local endpoint with the sample
                         cluster (web web-asg-cp)
  --save <file>          keep the snapshot read, to plan again from it
  --json                 the plan as JSON (default: a table and its reasons)
  --trace                the simulation's placement steps
  --now <ISO time>       plan as of this time (default: the snapshot's)
  -h, --help             this text

Exit code: 0 planned, 1 a failure (a bad snapshot, a failed call), 2 usage.`;

/** A usage error: exit code 2. */
class UsageError extends Error {}

async function fromAws(
  cluster: string,
  provider: string,
  local: boolean,
): Promise<{ snapshot: CapacitySnapshot; close: () => Promise<void> }> {
  // Lambda runs Node 22; the SDK's notice about the local Node 20 is noise here (as invoke).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let close = async () => {};
  if (local) {
    const { startLocalAws } = await import('../test/local-aws/index');
    const aws = await startLocalAws({ seed: 'sample' });
    Object.assign(process.env, aws.env());
    close = () => aws.close();
    console.error(`Local AWS endpoint with the sample cluster at ${aws.endpoint}`);
  }
  // SDK clients are built when the adapters load: after the environment is set.
  const { observe } = await import('../functions/scale-capacity/observe');
  const { loadCapacitySettings } = await import('../functions/scale-capacity/config');
  const { settings, instanceTypes } = loadCapacitySettings();
  const observation = await observe({
    cluster,
    capacityProvider: provider,
    table: process.env.STATE_TABLE ?? 'ecs-autopilot-state',
    settings,
    instanceTypes,
    now: Date.now(),
    anyInstance: true,
  });
  for (const note of observation.notes) console.error(`note: ${note}`);
  return { snapshot: observation.snapshot, close };
}

function parseCommandLine() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h', default: false },
        json: { type: 'boolean', default: false },
        trace: { type: 'boolean', default: false },
        now: { type: 'string' },
        'from-aws': { type: 'boolean', default: false },
        local: { type: 'boolean', default: false },
        save: { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

async function main() {
  const { values, positionals } = parseCommandLine();
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return;
  }
  let snapshot: CapacitySnapshot;
  let close = async () => {};
  if (values['from-aws']) {
    const [cluster, provider] = positionals;
    if (!cluster || !provider) throw new UsageError('--from-aws needs a cluster and a capacity provider');
    ({ snapshot, close } = await fromAws(cluster, provider, values.local ?? false));
  } else {
    const [file] = positionals;
    if (!file) throw new UsageError('a snapshot file (or --from-aws) is needed');
    snapshot = parseSnapshot(JSON.parse(readFileSync(file, 'utf8')));
  }
  try {
    if (values.save) {
      writeFileSync(values.save, `${JSON.stringify(snapshot, null, 2)}\n`);
      console.error(`snapshot saved to ${values.save}`);
    }
    const now = Date.parse(values.now ?? snapshot.takenAt ?? new Date().toISOString());
    if (Number.isNaN(now)) throw new Error(`--now: not a time: ${values.now}`);
    const started = performance.now();
    const plan = planCapacity(snapshot, now, { trace: values.trace ?? false });
    const decisionMs = performance.now() - started;
    if (values.json) process.stdout.write(`${JSON.stringify({ ...plan, decisionMs }, null, 2)}\n`);
    else process.stdout.write(`${formatPlan(plan)}\n\nDecided in ${decisionMs.toFixed(1)} ms.\n`);
  } finally {
    await close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  if (error instanceof UsageError) console.error(`${usage}\n(npm run plan -- --help for more)`);
  process.exit(error instanceof UsageError ? 2 : 1);
});
