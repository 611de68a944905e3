// scale-capacity's planner: decision time, packing quality, and a comparison with ECS managed scaling.
//   npx tsx bench/capacity.ts [--json] [--workloads <n>]
// 1. Decision time: 10,000 pending tasks in 50 shapes on 5,000 registered instances (ECS's per-cluster
//    maximum), planned again and again after warm-up; the first (cold) run is printed too.
// 2. Packing: generated workloads on empty clusters (mixed CPU-heavy, memory-heavy and balanced
//    services, fixed host ports, distinctInstance, awsvpc tasks, a few tasks too large to share an
//    instance): new instances planned / the best proven lower bound (the larger of the planner's fast
//    bound and the configuration LP bound of bench/lp-bound.ts), and the same for plain first-fit
//    decreasing; the ratio to the planner's own bound is printed too. A second set sizes ordinary
//    services up to half an instance (a harder case).
// 3. Against a model of ECS managed scaling on the same demand traces (pure time-stepped simulation,
//    same boot time and scheduler): task-seconds pending and idle instance-seconds, as ratios; the four
//    sample traces and the scheduled-jobs trace (bench/scheduled-trace.ts), at 30-120 s boots, with and
//    without a warm pool (both controllers get it). Each trace's pending time is also set against its
//    reactive floor: the same planner deciding the moment a task appears (no foresight), so each task
//    waits at most one boot.
import { planCapacity } from '../shared/capacity/planner';
import { firstFitDecreasingInstances } from './baseline';
import { certifiedBound, loadLpSolver } from './lp-bound';
import { scheduledJobsTrace } from './scheduled-trace';
import {
  autopilotController,
  managedScalingController,
  type SimulationResult,
  sampleTraces,
  simulate,
} from './simulation';
import { generateLargeCluster, generateWorkload, SAMPLE_INSTANCE_TYPES } from './workloads';

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
  /** Planned / the best proven bound: max(the planner's bound, the configuration LP bound). */
  meanRatio: number;
  worstRatio: number;
  p95Ratio: number;
  /** The workload with the worst ratio: seed, planned, best bound. */
  worst: { seed: number; planned: number; bound: number };
  /** Workloads planned exactly at the best bound: proven optimal. */
  atBound: number;
  /** Of those, the ones only the LP bound proves (the planner's bound is lower). */
  provedByLp: number;
  /** Workloads above 1.15 times the best bound. */
  over115: number;
  /** The same ratios against the planner's own fast bound (what the plan reports). */
  plannerBound: { meanRatio: number; worstRatio: number; atBound: number };
  /**
   * The LP bound: workloads where column generation reached the LP optimum, stopped once the bound
   * equalled the plan or could not round higher, or hit a limit (the bound so far stands); pricing
   * cut short by its node limit; out of scope (instances exist); the time for the whole set.
   */
  lp: {
    converged: number;
    stoppedAtPlan: number;
    rounded: number;
    limited: number;
    inexactPricing: number;
    outOfScope: number;
    ms: number;
  };
  baselineMeanRatio: number;
  baselineWorstRatio: number;
  /** Instances plain FFD needs over what the planner needs, mean. */
  baselineOverPlanner: number;
}

export interface TraceFigures {
  trace: string;
  autopilot: SimulationResult;
  managed: SimulationResult;
  /** The reactive floor: the planner deciding at once, without foresight. */
  floor: SimulationResult;
  pendingRatio: number;
  idleRatio: number;
  /** autopilot pending ÷ the floor's (1 when both are 0). */
  pendingOverFloor: number;
}

export interface ManagedFigures {
  /** Seconds from launch to registration, the same for both. */
  bootSeconds: number;
  /** A warm pool both controllers launch from first: its size and its instances' boot. */
  warmPool?: { size: number; bootSeconds: number };
  /** scale-capacity's SCALE_IN_AFTER_SECONDS in this run. */
  scaleInAfterSeconds: number;
  traces: TraceFigures[];
  pendingRatio: number;
  idleRatio: number;
  instanceSecondsRatio: number;
  /** The worst trace's pending ÷ its reactive floor. */
  worstPendingOverFloor: number;
}

export interface CapacityFigures {
  decision: DecisionFigures;
  packing: PackingFigures[];
  /** The comparison at boot times from 30 s (a warm pool) to 120 s (a heavy AMI): boot time bounds both. */
  managed: ManagedFigures[];
  /**
   * At a 90 s boot, scale-capacity's scale-in delay swept: what keeping idle instances longer buys in
   * pending time and costs in idle time (managed scaling unchanged).
   */
  tradeOff: ManagedFigures[];
  /** The same comparison with a warm pool, at the same boots. */
  warm: ManagedFigures[];
}

/** Warm pool in the comparison: 10 stopped instances that register 25 s after they are started. */
export const WARM_POOL = { size: 10, bootSeconds: 25 };

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

export async function benchPacking(
  workloads = 200,
  serviceShare = 4,
  set = 'services up to 1/4 instance',
): Promise<PackingFigures> {
  const highs = await loadLpSolver();
  const ratios: number[] = [];
  const plannerRatios: number[] = [];
  const baseline: number[] = [];
  const baselineOverPlanner: number[] = [];
  let worst = { seed: 0, planned: 0, bound: 0 };
  let atBound = 0;
  let provedByLp = 0;
  let plannerAtBound = 0;
  let over115 = 0;
  const lp = {
    converged: 0,
    stoppedAtPlan: 0,
    rounded: 0,
    limited: 0,
    inexactPricing: 0,
    outOfScope: 0,
    ms: 0,
  };
  for (let seed = 1; seed <= workloads; seed++) {
    const snapshot = generateWorkload(seed, { serviceShare });
    // trace: the plan's instances seed the LP's columns.
    const plan = planCapacity(snapshot, 0, { trace: true });
    const started = performance.now();
    const certified = certifiedBound(snapshot, plan, highs);
    lp.ms += performance.now() - started;
    if (!certified.lp) lp.outOfScope++;
    else {
      const stop = certified.lp.stop;
      if (stop === 'converged') lp.converged++;
      else if (stop === 'target') lp.stoppedAtPlan++;
      else if (stop === 'rounded') lp.rounded++;
      else lp.limited++;
      if (!certified.lp.exactPricing) lp.inexactPricing++;
    }
    const bound = Math.max(1, certified.value);
    const planned = plan.newInstances;
    const ffd = firstFitDecreasingInstances(snapshot);
    const ratio = planned / bound;
    ratios.push(ratio);
    plannerRatios.push(planned / Math.max(1, plan.lowerBound));
    baseline.push(ffd / bound);
    baselineOverPlanner.push(ffd / Math.max(1, planned));
    if (ratio > worst.planned / Math.max(1, worst.bound)) worst = { seed, planned, bound };
    if (planned === certified.value) {
      atBound++;
      if (plan.lowerBound < planned) provedByLp++;
    }
    if (planned === plan.lowerBound) plannerAtBound++;
    if (planned > 1.15 * bound) over115++;
  }
  return {
    set,
    workloads,
    meanRatio: mean(ratios),
    worstRatio: Math.max(...ratios),
    p95Ratio: percentile(ratios, 0.95),
    worst,
    atBound,
    provedByLp,
    over115,
    plannerBound: {
      meanRatio: mean(plannerRatios),
      worstRatio: Math.max(...plannerRatios),
      atBound: plannerAtBound,
    },
    lp,
    baselineMeanRatio: mean(baseline),
    baselineWorstRatio: Math.max(...baseline),
    baselineOverPlanner: mean(baselineOverPlanner),
  };
}

export function benchManaged(
  bootSeconds = 90,
  scaleInAfterSeconds = 300,
  warmPool?: { size: number; bootSeconds: number },
): ManagedFigures {
  const type = SAMPLE_INSTANCE_TYPES['m5.xlarge'] as (typeof SAMPLE_INSTANCE_TYPES)[string];
  const pool = warmPool
    ? { ...warmPool, bootSeconds: Math.min(bootSeconds, warmPool.bootSeconds) }
    : undefined;
  const options = {
    type,
    bootSeconds,
    stepSeconds: 5,
    min: 0,
    max: 500,
    initial: 0,
    ...(pool ? { warmPool: pool } : {}),
  };
  const autopilot = (reactionSeconds: number, foresight: boolean) =>
    autopilotController(type, {
      reactionSeconds,
      scaleInAfterSeconds,
      min: 0,
      max: 500,
      bootTimeoutSeconds: 600,
      bootSeconds,
      foresight,
      ...(pool ? { warmPool: pool } : {}),
    });
  const traces = [...sampleTraces(1), scheduledJobsTrace()].map((trace): TraceFigures => {
    const row = {
      trace: trace.name,
      autopilot: simulate(trace, autopilot(5, true), options),
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
      floor: simulate(trace, autopilot(0, false), options),
    };
    return {
      ...row,
      pendingRatio: row.autopilot.pendingTaskSeconds / Math.max(1, row.managed.pendingTaskSeconds),
      idleRatio: row.autopilot.idleInstanceSeconds / Math.max(1, row.managed.idleInstanceSeconds),
      pendingOverFloor:
        row.floor.pendingTaskSeconds === 0 && row.autopilot.pendingTaskSeconds === 0
          ? 1
          : row.autopilot.pendingTaskSeconds / Math.max(1, row.floor.pendingTaskSeconds),
    };
  });
  const total = (pick: (result: SimulationResult) => number, who: 'autopilot' | 'managed') =>
    traces.reduce((sum, row) => sum + pick(row[who]), 0);
  const ratio = (pick: (result: SimulationResult) => number) =>
    total(pick, 'autopilot') / Math.max(1, total(pick, 'managed'));
  return {
    bootSeconds,
    ...(pool ? { warmPool: pool } : {}),
    scaleInAfterSeconds,
    traces,
    pendingRatio: ratio((result) => result.pendingTaskSeconds),
    idleRatio: ratio((result) => result.idleInstanceSeconds),
    instanceSecondsRatio: ratio((result) => result.instanceSeconds),
    worstPendingOverFloor: Math.max(...traces.map((row) => row.pendingOverFloor)),
  };
}

const BOOTS = [30, 60, 90, 120];

export async function benchCapacity(options: { workloads?: number } = {}): Promise<CapacityFigures> {
  const workloads = options.workloads ?? 200;
  return {
    decision: benchDecision(),
    packing: [
      await benchPacking(workloads),
      await benchPacking(workloads, 2, 'services up to 1/2 instance (stress)'),
    ],
    // Boot time (launch to registration) is a floor both controllers pay: 30 s is a warm pool or a lean
    // AMI, 60-90 s a plain ECS-optimized AMI with some user data, 120 s a heavy one.
    managed: BOOTS.map((boot) => benchManaged(boot)),
    tradeOff: [120, 300, 600, 900, 1200].map((after) => benchManaged(90, after)),
    warm: BOOTS.map((boot) => benchManaged(boot, 300, WARM_POOL)),
  };
}

export function printCapacity(figures: CapacityFigures): void {
  const { decision, packing, managed, tradeOff, warm } = figures;
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
      `  packing, ${set.workloads} workloads, ${set.set}: planned/best proven bound mean ${fixed(set.meanRatio)}, p95 ${fixed(set.p95Ratio)}, worst ${fixed(set.worstRatio)}` +
        ` (seed ${set.worst.seed}: ${set.worst.planned} vs ${set.worst.bound}); ${set.atBound} proven optimal (${set.provedByLp} by the LP bound alone), ${set.over115} above 1.15` +
        `   target mean <= 1.05, worst <= 1.15`,
    );
    console.log(
      `    vs the planner's own bound: mean ${fixed(set.plannerBound.meanRatio)}, worst ${fixed(set.plannerBound.worstRatio)} (${set.plannerBound.atBound} at it);` +
        ` LP bound: ${set.lp.converged} converged, ${set.lp.stoppedAtPlan} stopped at the plan, ${set.lp.rounded} at their rounded optimum, ${set.lp.limited} at a limit, ${set.lp.inexactPricing} with pricing cut short, ${set.lp.outOfScope} out of scope, ${fixed(set.lp.ms / 1000, 1)} s` +
        `; plain FFD mean ${fixed(set.baselineMeanRatio)}, worst ${fixed(set.baselineWorstRatio)} (FFD/planner ${fixed(set.baselineOverPlanner)})`,
    );
  }
  for (const comparison of [...managed, ...warm]) printComparison(comparison);
  console.log('  90 s boot, scale-capacity scale-in delay swept (pending buys idle):');
  for (const row of tradeOff)
    console.log(
      `    SCALE_IN_AFTER_SECONDS ${String(row.scaleInAfterSeconds).padStart(4)}: pending ${fixed(row.pendingRatio)}, idle ${fixed(row.idleRatio)}` +
        `   per trace pending ${row.traces.map((trace) => fixed(trace.autopilot.pendingTaskSeconds / Math.max(1, trace.managed.pendingTaskSeconds), 2)).join(' / ')}`,
    );
}

const fixed3 = (value: number) => value.toFixed(3);

/** Per trace: pending and idle ÷ managed scaling's, pending ÷ the reactive floor; then all traces. */
export function printComparison(comparison: ManagedFigures): void {
  const pool = comparison.warmPool
    ? `, warm pool of ${comparison.warmPool.size} (${comparison.warmPool.bootSeconds} s)`
    : ', no warm pool';
  console.log(`  vs ECS managed scaling (model), m5.xlarge, ${comparison.bootSeconds} s boot${pool}:`);
  for (const row of comparison.traces) {
    console.log(
      `    ${row.trace.padEnd(18)} pending ${fixed3(row.pendingRatio)} (${Math.round(row.autopilot.pendingTaskSeconds)} vs ${Math.round(row.managed.pendingTaskSeconds)} task-s)` +
        `   idle ${fixed3(row.idleRatio)} (${Math.round(row.autopilot.idleInstanceSeconds)} vs ${Math.round(row.managed.idleInstanceSeconds)} instance-s)` +
        `   pending ÷ reactive floor ${fixed3(row.pendingOverFloor)} (floor ${Math.round(row.floor.pendingTaskSeconds)} task-s)` +
        (comparison.warmPool
          ? `   largest scale-out ${row.autopilot.largestLaunch ?? 0} vs pool ${comparison.warmPool.size}`
          : ''),
    );
  }
  console.log(
    `    all traces: pending ${fixed3(comparison.pendingRatio)} (target <= 0.3), idle ${fixed3(comparison.idleRatio)} (target <= 0.5), instance-seconds ${fixed3(comparison.instanceSecondsRatio)}; worst pending ÷ floor ${fixed3(comparison.worstPendingOverFloor)} (target <= 1.1)`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const json = process.argv.includes('--json');
  const managedOnly = process.argv.includes('--managed');
  const index = process.argv.indexOf('--workloads');
  const workloads = index > 0 ? Number(process.argv[index + 1]) : undefined;
  if (managedOnly) {
    // The comparison alone (no decision time, no packing): quick to rerun while tuning.
    for (const boot of BOOTS) printComparison(benchManaged(boot));
    for (const boot of BOOTS) printComparison(benchManaged(boot, 300, WARM_POOL));
    process.exit(0);
  }
  const figures = await benchCapacity(workloads ? { workloads } : {});
  if (json) console.log(JSON.stringify(figures, null, 2));
  else printCapacity(figures);
}
