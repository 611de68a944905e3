// `npm run bench`: every figure the project claims, measured on this machine, printed, and written as one
// markdown section to bench/RESULTS.md and between the bench markers of README.md.
//   cold start   bundle size and init time per function vs the SDK clients alone and a bare node
//   AWS calls    per operation vs the minimum it needs (drain-instance and the other functions)
//   capacity     scale-capacity's planner: decision time, packing, vs ECS managed scaling
//   classifier   detect-failed-start's classifier on the failure-message corpus, held-out accuracy
//   fleet        what the functions cost an account's ECS API budget (bench/fleet.ts)
// `--only classifier` (or `fleet`, `capacity`) runs one part and rewrites only its figures. Every run merges its figures into
// bench/results.json (flat stable names -> numbers).
// Benches that import handlers run in their own process: the handlers' SDK clients are bound to the
// local endpoint at import, one endpoint per process.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { ApiCallRow } from './api-calls';
import { printApiCalls } from './api-calls';
import { benchClassifier, classifierResults, classifierSection, printClassifier } from './classifier';
import { benchColdStart, type ColdStartRow } from './cold-start';
import type { Row as DrainCallRow } from './drain-calls';
import type { FleetFigures } from './fleet';

const ROOT = join(import.meta.dirname, '..');
const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';

/** Runs a bench script in a fresh process and reads its `--json` output. */
function runJson<T>(script: string): T {
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, script), '--json'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.slice(out.search(/^[[{]/m))) as T;
}

const optional = (path: string) => existsSync(join(ROOT, path));
const fixed = (value: number, digits = 2) => value.toFixed(digits);
const kib = (bytes: number) => `${Math.round(bytes / 1024).toLocaleString('en-US')} KiB`;
const ms = (value: number) => `${Math.round(value)} ms`;
const range = (values: number[], digits = 2) =>
  values.length === 0 ? 'n/a' : `${fixed(Math.min(...values), digits)}–${fixed(Math.max(...values), digits)}`;

function coldStartSection(rows: ColdStartRow[]): string[] {
  const overhead = rows.map((row) => row.initMs / row.sdkOnlyMs);
  return [
    '### Cold start',
    '',
    'Importing each function bundle in a fresh Node process, against importing a bundle of only the AWS SDK',
    'clients it uses, and against a bare `node -e 0` (medians of interleaved runs).',
    '',
    '| function | bundle | SDK clients | init | SDK clients alone | bare node | init ÷ SDK alone | init ÷ bare node |',
    '|---|---:|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      (row) =>
        `| ${row.function} | ${kib(row.bundleBytes)} | ${row.sdkClients.map((client) => client.replace('client-', '')).join(', ')} | ${ms(row.initMs)} | ${ms(row.sdkOnlyMs)} | ${ms(row.bareNodeMs)} | ${fixed(row.initMs / row.sdkOnlyMs)} | ${fixed(row.initMs / row.bareNodeMs)} |`,
    ),
    '',
    `Init time ÷ importing the same SDK clients alone: ${range(overhead)}; ÷ a bare node: ${range(rows.map((row) => row.initMs / row.bareNodeMs))}.`,
  ];
}

function apiCallSection(drain: DrainCallRow[] | undefined, others: ApiCallRow[]): string[] {
  const lines = ['### AWS calls per operation', ''];
  if (drain) {
    lines.push(
      'drain-instance, one drain pass (instance running the log-router daemon and N other tasks):',
      '',
      '| tasks | pass | calls | minimum | ratio | calls made |',
      '|---:|---|---:|---:|---:|---|',
      ...drain.map(
        (row) =>
          `| ${row.tasks} | ${row.pass} | ${row.calls} | ${row.minimum} | ${fixed(row.ratio)} | ${row.detail} |`,
      ),
      '',
    );
  }
  lines.push(
    'The other functions (the minimum of each operation is listed with its reasons in bench/api-calls.ts):',
    '',
    '| function | operation | calls | minimum | ratio | beyond the minimum |',
    '|---|---|---:|---:|---:|---|',
    ...others.map(
      (row) =>
        `| ${row.function} | ${row.operation} | ${row.calls} | ${row.minimum} | ${fixed(row.ratio)} | ${row.extra || '–'} |`,
    ),
  );
  const ratios = [...(drain ?? []), ...others].map((row) => row.ratio);
  lines.push('', `Calls over the minimum, per operation: ${range(ratios)} times.`);
  return lines;
}

interface Capacity {
  decision: {
    tasks: number;
    shapes: number;
    instances: number;
    medianMs: number;
    placementsPerSecond: number;
  };
  packing: {
    set: string;
    workloads: number;
    meanRatio: number;
    worstRatio: number;
    atBound: number;
    provedByLp: number;
    plannerBound: { meanRatio: number; worstRatio: number };
    baselineMeanRatio: number;
    baselineWorstRatio: number;
  }[];
  managed: ManagedRow[];
  tradeOff: ManagedRow[];
  warm: ManagedRow[];
}

interface ManagedRow {
  bootSeconds: number;
  scaleInAfterSeconds: number;
  pendingRatio: number;
  idleRatio: number;
  instanceSecondsRatio: number;
  worstPendingOverFloor: number;
  warmPool?: { size: number; bootSeconds: number };
  traces: {
    trace: string;
    autopilot: { pendingTaskSeconds: number };
    managed: { pendingTaskSeconds: number };
    pendingRatio: number;
    idleRatio: number;
    pendingOverFloor: number;
  }[];
}

const tracePending = (row: ManagedRow) =>
  row.traces
    .map((trace) =>
      fixed(trace.autopilot.pendingTaskSeconds / Math.max(1, trace.managed.pendingTaskSeconds), 2),
    )
    .join(' / ');

function capacitySection(figures: Capacity): string[] {
  const { decision } = figures;
  return [
    '### scale-capacity planner',
    '',
    `Decision for ${decision.tasks.toLocaleString('en-US')} pending tasks in ${decision.shapes} shapes on ${decision.instances.toLocaleString('en-US')} instances: median ${fixed(decision.medianMs, 1)} ms, ${fixed(decision.medianMs / 250)} of the 250 ms target (${decision.placementsPerSecond.toLocaleString('en-US')} placements/s).`,
    '',
    'Packing on generated empty clusters: new instances planned ÷ the best proven lower bound, the larger of',
    "the planner's own fast bound and the configuration (Gilmore–Gomory) LP bound computed by column",
    'generation in bench/lp-bound.ts (HiGHS, dev-only; it covers new instances only). Proven optimal: planned',
    "equals that bound. The ratio to the planner's own bound, which a plan reports, is shown too.",
    '',
    "| packing workloads | planned ÷ best bound, mean | worst | proven optimal (by the LP alone) | planned ÷ planner's bound, mean | worst | plain first-fit decreasing ÷ best bound, mean | worst |",
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...figures.packing.map(
      (set) =>
        `| ${set.workloads} ${set.set} | ${fixed(set.meanRatio, 3)} | ${fixed(set.worstRatio, 3)} | ${set.atBound} (${set.provedByLp}) | ${fixed(set.plannerBound.meanRatio, 3)} | ${fixed(set.plannerBound.worstRatio, 3)} | ${fixed(set.baselineMeanRatio, 3)} | ${fixed(set.baselineWorstRatio, 3)} |`,
    ),
    '',
    'Against a model of ECS managed scaling on the same five demand traces (bench/simulation.ts),',
    'scale-capacity ÷ managed scaling; targets: pending ≤ 0.3, idle ≤ 0.5. Both controllers wait for the same',
    'boot (launch to registration), which bounds how far pending time can fall below managed scaling’s.',
    '',
    `| vs a model of ECS managed scaling, same demand | pending task-seconds | idle instance-seconds | instance-seconds | pending per trace (${traceNames(figures)}) |`,
    '|---|---:|---:|---:|---|',
    ...figures.managed.map(
      (row) =>
        `| ${row.bootSeconds} s boot | ${fixed(row.pendingRatio, 3)} | ${fixed(row.idleRatio, 3)} | ${fixed(row.instanceSecondsRatio, 3)} | ${tracePending(row)} |`,
    ),
    '',
    `At a 90 s boot, a longer scale-in delay buys pending time only with idle time: ${meetingBoth(figures.tradeOff)}.`,
    'A single burst on a cluster without room (the deployments trace) stays near (decision + boot) ÷ (alarm +',
    'boot) whatever the delay, since both controllers then wait for the same boot.',
    '',
    '| 90 s boot, SCALE_IN_AFTER_SECONDS | pending task-seconds | idle instance-seconds | pending per trace |',
    '|---:|---:|---:|---|',
    ...figures.tradeOff.map(
      (row) =>
        `| ${row.scaleInAfterSeconds} | ${fixed(row.pendingRatio, 3)} | ${fixed(row.idleRatio, 3)} | ${tracePending(row)} |`,
    ),
    '',
    'Foreseen demand and the reactive floor (bench/scheduled-trace.ts: cron and rate schedules of a',
    '5-minute sync, hourly reports, a nightly batch and a month-end fan-out, evaluated by',
    "run-scheduled-task's own evaluator). The reactive floor is the same planner deciding the moment a task",
    'appears, without foresight: each task waits at most one boot. With a warm pool both controllers launch',
    `from it first (${warmNote(figures)}). Targets: scheduled pending ≤ 0.05 with idle ≤ 0.5 at every boot;`,
    'pending ÷ floor ≤ 1.1 on every trace; all traces at 90 s pending ≤ 0.3, idle ≤ 0.5.',
    '',
    `| boot | warm pool | all: pending | all: idle | scheduled: pending | scheduled: idle | pending ÷ reactive floor (${traceNames(figures)}) |`,
    '|---:|---|---:|---:|---:|---:|---|',
    ...[...figures.managed, ...(figures.warm ?? [])].map((row) => {
      const scheduled = row.traces.find((trace) => traceKey(trace.trace) === 'scheduled');
      return `| ${row.bootSeconds} s | ${row.warmPool ? `${row.warmPool.size} (${row.warmPool.bootSeconds} s)` : 'none'} | ${fixed(row.pendingRatio, 3)} | ${fixed(row.idleRatio, 3)} | ${scheduled ? fixed(scheduled.pendingRatio, 3) : 'n/a'} | ${scheduled ? fixed(scheduled.idleRatio, 3) : 'n/a'} | ${row.traces.map((trace) => fixed(trace.pendingOverFloor, 2)).join(' / ')} |`;
    }),
  ];
}

const warmNote = (figures: Capacity) => {
  const pool = figures.warm?.[0]?.warmPool;
  return pool
    ? `${pool.size} stopped instances, registered ${pool.bootSeconds} s after a start`
    : 'none measured';
};

const meetingBoth = (rows: ManagedRow[]) => {
  const both = rows.filter((row) => row.pendingRatio <= 0.3 && row.idleRatio <= 0.5);
  return both.length === 0
    ? 'no delay meets both targets'
    : `${both.map((row) => `${row.scaleInAfterSeconds} s`).join(', ')} meet${both.length === 1 ? 's' : ''} both targets`;
};

const traceNames = (figures: Capacity) =>
  (figures.managed[0]?.traces ?? []).map((trace) => trace.trace).join(' / ');

const percent = (share: number) => `${(share * 100).toFixed(1)} %`;

function fleetSection(figures: FleetFigures): string[] {
  const lines = [
    '### What the functions cost an account',
    '',
    'An account of 20 clusters, 40 groups, 4,000 instances and 40,000 tasks (bench/fleet.ts): one cluster of it',
    'runs on the local endpoint under the real handlers, their calls are counted per ECS throttling bucket, scaled',
    "to the account, and played second by second against the documented buckets. Shares are of each bucket's",
    'sustained rate; targets: quiet hour ≤ 5 %, instance refresh and crash loop ≤ 50 %.',
    '',
    '| scenario | bucket | peak (10 s) | mean | calls throttled |',
    '|---|---|---:|---:|---:|',
  ];
  for (const scenario of figures.scenarios) {
    for (const bucket of scenario.buckets) {
      lines.push(
        `| ${scenario.name} | ${bucket.bucket} | ${percent(bucket.peakShare)} | ${percent(bucket.meanShare)} | ${Math.round(bucket.throttled).toLocaleString('en-US')} |`,
      );
    }
  }
  lines.push(
    '',
    `Worst drain of the instance refresh ÷ its tasks' own stop time: ${fixed(figures.drainOverMinimum)}. A scale-out of ${figures.measured.scaleOutTasks.toLocaleString('en-US')} tasks is decided ${fixed(figures.scaleOutDecisionSeconds, 1)} s after the wake-up. Highest pass memory ÷ configured memory: ${fixed(figures.peakMemoryShare)}.`,
  );
  return lines;
}

/** A trace's name in results: its first word (`scheduled jobs` → `scheduled`). */
const traceKey = (trace: string) => trace.split(' ')[0]?.toLowerCase() ?? trace;

/**
 * Ratios to managed scaling per boot, all traces and each (`capacity.pending.scheduled.90s`), the same
 * with a warm pool (`capacity.warm.…`), and the worst pending ÷ reactive floor of any trace and boot.
 */
function managedResults(capacity: Capacity): Record<string, number> {
  const results: Record<string, number> = {};
  for (const [prefix, rows] of [
    ['capacity', capacity.managed],
    ['capacity.warm', capacity.warm ?? []],
  ] as const) {
    for (const row of rows) {
      results[`${prefix}.pending.all.${row.bootSeconds}s`] = row.pendingRatio;
      results[`${prefix}.idle.all.${row.bootSeconds}s`] = row.idleRatio;
      results[`${prefix}.pendingOverFloor.worst.${row.bootSeconds}s`] = row.worstPendingOverFloor;
      for (const trace of row.traces) {
        results[`${prefix}.pending.${traceKey(trace.trace)}.${row.bootSeconds}s`] = trace.pendingRatio;
        results[`${prefix}.idle.${traceKey(trace.trace)}.${row.bootSeconds}s`] = trace.idleRatio;
      }
    }
  }
  results['capacity.pendingOverFloor.worst'] = Math.max(
    ...[...capacity.managed, ...(capacity.warm ?? [])].map((row) => row.worstPendingOverFloor),
  );
  return results;
}

/** The figures of the whole run under stable names (bench/results.json). */
function resultsOf(parts: {
  coldStart: ColdStartRow[];
  capacity: Capacity | undefined;
  fleet: FleetFigures | undefined;
}): Record<string, number> {
  const results: Record<string, number> = {};
  for (const row of parts.coldStart) {
    results[`coldStart.${row.function}.initMs`] = row.initMs;
    results[`coldStart.${row.function}.initOverSdkAlone`] = row.initMs / row.sdkOnlyMs;
    results[`coldStart.${row.function}.bundleBytes`] = row.bundleBytes;
  }
  const { capacity, fleet } = parts;
  if (capacity) {
    results['capacity.decision.medianMs'] = capacity.decision.medianMs;
    for (const set of capacity.packing) {
      const name = set.set.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '');
      results[`capacity.packing.${name}.meanRatio`] = set.meanRatio;
      results[`capacity.packing.${name}.worstRatio`] = set.worstRatio;
    }
    Object.assign(results, managedResults(capacity));
  }
  if (fleet) {
    results['fleet.quietHour.peakShare'] = fleet.peakShare.quietHour;
    results['fleet.instanceRefresh.peakShare'] = fleet.peakShare.instanceRefresh;
    results['fleet.crashLoop.peakShare'] = fleet.peakShare.crashLoop;
    results['fleet.scaleOut.decisionSeconds'] = fleet.scaleOutDecisionSeconds;
    results['fleet.instanceRefresh.drainOverMinimum'] = fleet.drainOverMinimum;
    results['fleet.peakMemoryShare'] = fleet.peakMemoryShare;
  }
  return results;
}

/** Merges figures into bench/results.json: other parts' keys are kept, these are replaced. */
function writeResults(figures: Record<string, number>): void {
  const path = join(ROOT, 'bench/results.json');
  const previous = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, number>) : {};
  const merged: Record<string, number> = { ...previous, ...figures };
  const sorted = Object.fromEntries(
    Object.keys(merged)
      .sort()
      .map((key) => [key, merged[key]]),
  );
  writeFileSync(path, `${JSON.stringify(sorted, null, 2)}\n`);
}

/**
 * Replaces one part's block (`<!-- bench:NAME:start -->` … `end`); without one, inserts it before the
 * end of the whole bench section, or appends it under a "Measured figures" heading.
 */
export function withBlock(text: string, name: string, lines: string[]): string {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const block = `${start}\n${lines.join('\n')}\n${end}`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from >= 0 && to > from) return `${text.slice(0, from)}${block}${text.slice(to + end.length)}`;
  const whole = text.indexOf(END);
  if (whole >= 0) return `${text.slice(0, whole)}\n${block}\n${text.slice(whole)}`;
  return `${text.replace(/\s*$/, '')}\n\n## Measured figures\n\n${block}\n`;
}

const DETECT_README = 'functions/detect-failed-start/README.md';

function updateFile(path: string, update: (text: string) => string): void {
  const full = join(ROOT, path);
  writeFileSync(full, update(existsSync(full) ? readFileSync(full, 'utf8') : ''));
}

/** `npm run bench -- --only classifier`: the classifier's figures alone, written in place. */
function classifierOnly(): void {
  const figures = benchClassifier();
  printClassifier(figures);
  const lines = classifierSection(figures);
  writeResults(classifierResults(figures));
  for (const path of ['README.md', 'bench/RESULTS.md', DETECT_README]) {
    updateFile(path, (text) => withBlock(text, 'classifier', lines));
  }
  console.log(
    `\nwritten: bench/results.json, README.md, bench/RESULTS.md, ${DETECT_README} (classifier block)`,
  );
}

/** `npm run bench -- --only fleet`: the fleet figures alone, merged into bench/results.json. */
async function fleetOnly(): Promise<void> {
  const fleet = runJson<FleetFigures>('bench/fleet.ts');
  const { printFleet } = await import('./fleet');
  printFleet(fleet);
  writeResults(resultsOf({ coldStart: [], capacity: undefined, fleet }));
  console.log('\nwritten: bench/results.json (fleet figures)');
}

/**
 * `npm run bench -- --only capacity`: the planner's figures alone, merged into bench/results.json and
 * written in place of the capacity block of README.md and bench/RESULTS.md.
 */
async function capacityOnly(): Promise<void> {
  const module = await import('./capacity');
  const figures = await module.benchCapacity();
  module.printCapacity(figures);
  writeResults(resultsOf({ coldStart: [], capacity: figures, fleet: undefined }));
  const lines = capacitySection(figures);
  for (const path of ['README.md', 'bench/RESULTS.md'])
    updateFile(path, (text) => withBlock(text, 'capacity', lines));
  console.log('\nwritten: bench/results.json, README.md, bench/RESULTS.md (capacity block)');
}

const PARTS = ['classifier', 'fleet', 'capacity'] as const;

function onlyArgument(): string | undefined {
  const index = process.argv.indexOf('--only');
  if (index >= 0) return process.argv[index + 1];
  return process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
}

/** Replaces the section between the markers, or appends it under "Measured figures" when missing. */
export function withSection(readme: string, section: string): string {
  const block = `${START}\n${section}\n${END}`;
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start >= 0 && end > start) return `${readme.slice(0, start)}${block}${readme.slice(end + END.length)}`;
  return `${readme.replace(/\s*$/, '')}\n\n## Measured figures\n\n${block}\n`;
}

async function main() {
  const only = onlyArgument();
  if (only !== undefined) {
    if (only === 'classifier') return classifierOnly();
    if (only === 'fleet') return fleetOnly();
    if (only === 'capacity') return capacityOnly();
    throw new Error(`--only: unknown part "${only}"; parts that run alone: ${PARTS.join(', ')}`);
  }
  const machine = `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}`;
  const date = new Date().toISOString().slice(0, 10);

  console.log('cold start (builds the bundles)…');
  const coldStart = await benchColdStart();
  console.table(
    coldStart.map((row) => ({
      function: row.function,
      bundle: kib(row.bundleBytes),
      init: ms(row.initMs),
      'sdk only': ms(row.sdkOnlyMs),
      'bare node': ms(row.bareNodeMs),
      'init/sdk': fixed(row.initMs / row.sdkOnlyMs),
    })),
  );

  const drain = optional('bench/drain-calls.ts')
    ? runJson<DrainCallRow[]>('bench/drain-calls.ts')
    : undefined;
  if (drain) {
    console.log('drain-instance: AWS calls per drain pass against the minimum needed');
    console.table(
      drain.map(({ tasks, pass, calls, minimum, ratio }) => ({
        tasks,
        pass,
        calls,
        minimum,
        ratio: fixed(ratio),
      })),
    );
  }
  const apiCalls = runJson<ApiCallRow[]>('bench/api-calls.ts');
  printApiCalls(apiCalls);

  let capacity: Capacity | undefined;
  if (optional('bench/capacity.ts')) {
    const module = await import('./capacity');
    const figures = await module.benchCapacity();
    module.printCapacity(figures);
    capacity = figures;
  }

  const fleet = optional('bench/fleet.ts') ? runJson<FleetFigures>('bench/fleet.ts') : undefined;
  if (fleet) {
    const { printFleet } = await import('./fleet');
    printFleet(fleet);
  }
  writeResults(resultsOf({ coldStart, capacity, fleet }));

  const classifier = benchClassifier();
  printClassifier(classifier);
  const classifierLines = classifierSection(classifier);
  writeResults(classifierResults(classifier));
  updateFile(DETECT_README, (text) => withBlock(text, 'classifier', classifierLines));

  const section = [
    `_Measured by \`npm run bench\` on ${machine}, ${date}. Times depend on the machine; the ratios compare figures taken in the same run._`,
    '',
    ...coldStartSection(coldStart),
    '',
    ...apiCallSection(drain, apiCalls),
    ...(capacity
      ? ['', '<!-- bench:capacity:start -->', ...capacitySection(capacity), '<!-- bench:capacity:end -->']
      : []),
    ...(fleet ? ['', ...fleetSection(fleet)] : []),
    '',
    '<!-- bench:classifier:start -->',
    ...classifierLines,
    '<!-- bench:classifier:end -->',
  ].join('\n');

  writeFileSync(join(ROOT, 'bench/RESULTS.md'), `# Measured figures\n\n${section}\n`);
  const readmePath = join(ROOT, 'README.md');
  writeFileSync(readmePath, withSection(readFileSync(readmePath, 'utf8'), section));
  console.log(
    `\nwritten: bench/RESULTS.md, README.md (between the bench markers), bench/results.json, ${DETECT_README}`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
