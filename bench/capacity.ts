// scale-capacity's planner: decision time, packing quality, and a comparison with ECS managed scaling.
//   npx tsx bench/capacity.ts [--json] [--workloads <n>]
// 1. Decision time: 10,000 pending tasks in 50 shapes on 5,000 registered instances (ECS's per-cluster
//    maximum), planned again and again after warm-up; the first (cold) run is printed too.
// 2. Packing: generated workloads on empty clusters (mixed CPU-heavy, memory-heavy and balanced
//    services, fixed host ports, distinctInstance, awsvpc tasks, a few tasks too large to share an
//    instance): new instances planned / the plan's lower bound, and the same for plain first-fit
//    decreasing. A second set sizes ordinary services up to half an instance (a harder case where
//    the bound is looser).
// 3. Against a model of ECS managed scaling on the same demand traces (pure time-stepped simulation,
//    same boot time and scheduler): task-seconds pending and idle instance-seconds, as ratios.
import { firstFitDecreasingInstances } from '../shared/capacity/baseline';
import { planCapacity } from '../shared/capacity/planner';
import {
  autopilotController,
  managedScalingController,
  type SimulationResult,
  sampleTraces,
  simulate,
} from '../shared/capacity/simulation';
import { generateLargeCluster, generateWorkload, SAMPLE_INSTANCE_TYPES } from '../shared/capacity/workloads';

export interface DecisionFigures {
  tasks: number;
  shapes: number;
  instances: number;
  coldMs: number;
  medianMs: number;
  minMs: number;
  placementsPerSecond: number;
  newInstances: number;
  lowerBound: number;
}

export interface PackingFigures {
  set: string;
  workloads: number;
  meanRatio: number;
  worstRatio: number;
  p95Ratio: number;
  /** Workloads planned exactly at the lower bound. */
  atBound: number;
  /** Workloads above 1.15 times the bound. */
  over115: number;
  baselineMeanRatio: number;
  baselineWorstRatio: number;
  /** Instances plain FFD needs over what the planner needs, mean. */
  baselineOverPlanner: number;
}

export interface ManagedFigures {
  /** Seconds from launch to registration, the same for both. */
  bootSeconds: number;
  traces: { trace: string; autopilot: SimulationResult; managed: SimulationResult }[];
  pendingRatio: number;
  idleRatio: number;
  instanceSecondsRatio: number;
}

export interface CapacityFigures {
  decision: DecisionFigures;
  packing: PackingFigures[];
  /** The comparison at 90 s boot (a plain AMI) and 30 s (a warm pool): boot time bounds both. */
  managed: ManagedFigures[];
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};
const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
};

export function benchDecision(runs = 15): DecisionFigures {
  const snapshot = generateLargeCluster(7);
  const now = Date.parse(snapshot.takenAt ?? '');
  const time = () => {
    const started = performance.now();
    const plan = planCapacity(snapshot, now);
    return { ms: performance.now() - started, plan };
  };
  const cold = time();
  time();
  const timings = Array.from({ length: runs }, () => time().ms);
  const tasks = cold.plan.demand.tasks;
  const medianMs = median(timings);
  return {
    tasks,
    shapes: cold.plan.demand.shapes,
    instances: snapshot.instances.length,
    coldMs: cold.ms,
    medianMs,
    minMs: Math.min(...timings),
    placementsPerSecond: Math.round(tasks / (medianMs / 1000)),
    newInstances: cold.plan.newInstances,
    lowerBound: cold.plan.lowerBound,
  };
}

export function benchPacking(
  workloads = 200,
  serviceShare = 4,
  set = 'services up to 1/4 instance',
): PackingFigures {
  const ratios: number[] = [];
  const baseline: number[] = [];
  const baselineOverPlanner: number[] = [];
  let atBound = 0;
  let over115 = 0;
  for (let seed = 1; seed <= workloads; seed++) {
    const snapshot = generateWorkload(seed, { serviceShare });
    const plan = planCapacity(snapshot, 0);
    const bound = Math.max(1, plan.lowerBound);
    const ffd = firstFitDecreasingInstances(snapshot);
    ratios.push(plan.newInstances / bound);
    baseline.push(ffd / bound);
    baselineOverPlanner.push(ffd / Math.max(1, plan.newInstances));
    if (plan.newInstances === plan.lowerBound) atBound++;
    if (plan.newInstances > 1.15 * bound) over115++;
  }
  return {
    set,
    workloads,
    meanRatio: mean(ratios),
    worstRatio: Math.max(...ratios),
    p95Ratio: percentile(ratios, 0.95),
    atBound,
    over115,
    baselineMeanRatio: mean(baseline),
    baselineWorstRatio: Math.max(...baseline),
    baselineOverPlanner: mean(baselineOverPlanner),
  };
}

export function benchManaged(bootSeconds = 90): ManagedFigures {
  const type = SAMPLE_INSTANCE_TYPES['m5.xlarge'] as (typeof SAMPLE_INSTANCE_TYPES)[string];
  const options = { type, bootSeconds, stepSeconds: 5, min: 0, max: 500, initial: 0 };
  const traces = sampleTraces(1).map((trace) => ({
    trace: trace.name,
    autopilot: simulate(
      trace,
      autopilotController(type, {
        reactionSeconds: 5,
        scaleInAfterSeconds: 300,
        min: 0,
        max: 500,
        bootTimeoutSeconds: 600,
      }),
      options,
    ),
    managed: simulate(
      trace,
      managedScalingController(type, {
        targetCapacity: 100,
        warmupSeconds: 300,
        minimumStep: 1,
        maximumStep: 10_000,
      }),
      options,
    ),
  }));
  const total = (pick: (result: SimulationResult) => number, who: 'autopilot' | 'managed') =>
    traces.reduce((sum, row) => sum + pick(row[who]), 0);
  const ratio = (pick: (result: SimulationResult) => number) =>
    total(pick, 'autopilot') / Math.max(1, total(pick, 'managed'));
  return {
    bootSeconds,
    traces,
    pendingRatio: ratio((result) => result.pendingTaskSeconds),
    idleRatio: ratio((result) => result.idleInstanceSeconds),
    instanceSecondsRatio: ratio((result) => result.instanceSeconds),
  };
}

export async function benchCapacity(options: { workloads?: number } = {}): Promise<CapacityFigures> {
  const workloads = options.workloads ?? 200;
  return {
    decision: benchDecision(),
    packing: [benchPacking(workloads), benchPacking(workloads, 2, 'services up to 1/2 instance (stress)')],
    managed: [benchManaged(90), benchManaged(30)],
  };
}

export function printCapacity(figures: CapacityFigures): void {
  const { decision, packing, managed } = figures;
  const fixed = (value: number, digits = 3) => value.toFixed(digits);
  console.log('scale-capacity planner');
  console.log(
    `  decision: ${decision.tasks} pending tasks in ${decision.shapes} shapes on ${decision.instances} instances: ` +
      `median ${fixed(decision.medianMs, 1)} ms (min ${fixed(decision.minMs, 1)}, first run ${fixed(decision.coldMs, 1)}), ` +
      `${decision.placementsPerSecond.toLocaleString('en-US')} placements/s; ${decision.newInstances} new instances (bound ${decision.lowerBound})` +
      `   target <= 250 ms`,
  );
  for (const set of packing) {
    console.log(
      `  packing, ${set.workloads} workloads, ${set.set}: planned/bound mean ${fixed(set.meanRatio)}, p95 ${fixed(set.p95Ratio)}, worst ${fixed(set.worstRatio)}` +
        ` (${set.atBound} at the bound, ${set.over115} above 1.15); plain FFD mean ${fixed(set.baselineMeanRatio)}, worst ${fixed(set.baselineWorstRatio)}` +
        ` (FFD/planner ${fixed(set.baselineOverPlanner)})   target mean <= 1.05, worst <= 1.15`,
    );
  }
  for (const comparison of managed) {
    console.log(
      `  vs ECS managed scaling (model), same traces, m5.xlarge, ${comparison.bootSeconds} s boot (autopilot vs managed):`,
    );
    for (const row of comparison.traces) {
      const cell = (a: number, b: number, width: number) =>
        `${String(Math.round(a)).padStart(width)} vs ${String(Math.round(b)).padStart(width)}`;
      console.log(
        `    ${row.trace.padEnd(18)} pending task-s ${cell(row.autopilot.pendingTaskSeconds, row.managed.pendingTaskSeconds, 6)}` +
          `   idle instance-s ${cell(row.autopilot.idleInstanceSeconds, row.managed.idleInstanceSeconds, 6)}` +
          `   instance-s ${cell(row.autopilot.instanceSeconds, row.managed.instanceSeconds, 6)}`,
      );
    }
    console.log(
      `    ratios: pending ${fixed(comparison.pendingRatio)} (target <= 0.3), idle ${fixed(comparison.idleRatio)} (target <= 0.5), instance-seconds ${fixed(comparison.instanceSecondsRatio)}`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const json = process.argv.includes('--json');
  const index = process.argv.indexOf('--workloads');
  const workloads = index > 0 ? Number(process.argv[index + 1]) : undefined;
  const figures = await benchCapacity(workloads ? { workloads } : {});
  if (json) console.log(JSON.stringify(figures, null, 2));
  else printCapacity(figures);
}
