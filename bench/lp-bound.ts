/**
 * A certified lower bound on the new instances a workload needs, for the benchmark only: the
 * configuration LP of Gilmore and Gomory (min sum x_p, sum_p a_ip x_p >= demand_i, x >= 0 over every
 * pattern p that fits one new instance), solved by column generation with HiGHS as the master solver.
 *
 * The number reported is Farley's bound, ceil(d.pi / V - 1e-6), where pi >= 0 are the master's
 * duals and V is the EXACT best pattern value under them (branch and bound below): pi / V is then
 * feasible for the dual of the full LP, so d.pi / V is at most the LP optimum, which is at most the
 * fewest instances any placement needs. When column generation converges V is 1 and this is the LP
 * optimum; when it stops early (budget) the number is still proven, only weaker. HiGHS only supplies
 * good duals: a wrong dual can weaken the bound, never make it invalid.
 *
 * Scope: new instances only, as the planner models them (the group's new-instance template after
 * daemon overhead). With registered, booting or requested instances the planner's own bound is used.
 *
 * Dev-only (HiGHS compiled to WebAssembly): functions/ and shared/ never import this module.
 */
import loadHighs, { type Highs } from 'highs';
import { compileMemberOf } from '../shared/capacity/member-of';
import { fits, type ItemGroup } from '../shared/capacity/packing';
import {
  aloneLimit,
  bestPattern,
  type ConfigurationProblem,
  holds,
  type PatternItem,
  type Pricing,
  patternItem,
} from '../shared/capacity/patterns';
import { type CapacityPlan, freshBin, groupDemand, newInstanceTemplate } from '../shared/capacity/planner';
import type { CapacitySnapshot } from '../shared/capacity/snapshot';

export { aloneLimit, bestPattern, type ConfigurationProblem, holds, type PatternItem, type Pricing };

export interface LpBound {
  /** ceil(best Farley bound - 1e-6): proven. */
  value: number;
  /** The best proven LP lower bound before rounding. */
  farley: number;
  /** The last master optimum (an upper bound on the LP optimum). */
  master: number;
  /**
   * Why column generation stopped: `converged` (the LP optimum: no pattern prices out), `target` (the
   * bound reached the plan, proving it optimal), `rounded` (the bound rounds up to the master's
   * optimum: no more column can raise it), or a limit (`budget`, `iterations`, `solver` when HiGHS
   * did not report an optimum), after which the bound so far stands.
   */
  stop: 'converged' | 'target' | 'rounded' | 'budget' | 'iterations' | 'solver';
  iterations: number;
  columns: number;
  /** Every pricing was solved to optimality (false: a node limit made V an upper bound). */
  exactPricing: boolean;
}

export interface BoundOptions {
  /** Patterns to start from (e.g. the planner's instances), tasks per item. */
  initial?: readonly (readonly number[])[];
  /** Stop once the bound reaches this (the plan's instance count: it cannot go higher). */
  target?: number;
  maxIterations?: number;
  /** Wall-clock budget; the bound so far is kept. */
  budgetMs?: number;
  /** Branch-and-bound nodes per pricing before HiGHS solves it as a MIP instead. */
  nodeLimit?: number;
}

let loading: Promise<Highs> | undefined;

/** HiGHS, loaded once per process (its wasm comes from node_modules: no network). */
export function loadLpSolver(): Promise<Highs> {
  loading ??= loadHighs();
  return loading;
}

/**
 * The configuration problem for a snapshot's demand on new instances, with the item keys the
 * planner uses (so its instances can seed the master); undefined when instances already exist or
 * are on their way, which the LP does not model.
 */
export function newInstanceProblem(snapshot: CapacitySnapshot): ConfigurationProblem | undefined {
  const counted = /^(Pending|Pending:Wait|Pending:Proceed|InService)$/;
  if (
    snapshot.instances.some((instance) => counted.test(instance.lifecycleState)) ||
    snapshot.launching.some((instance) => counted.test(instance.lifecycleState)) ||
    snapshot.group.desired > 0
  ) {
    return undefined;
  }
  const template = newInstanceTemplate(snapshot);
  const { items } = groupDemand(snapshot, compileMemberOf);
  const zones = snapshot.group.availabilityZones.length > 0 ? snapshot.group.availabilityZones : [undefined];
  // A memberOf on task groups or task counts changes as tasks are placed: dropping it only relaxes.
  const relaxed = (item: ItemGroup): ItemGroup =>
    item.memberOf?.usesTaskGroups ? { ...item, memberOf: undefined } : item;
  // Demand as the planner's bound counts it: what a new instance in some zone can take.
  const demand = items.filter((item) =>
    zones.some((zone) => fits(freshBin(snapshot, template, 'new', 'probe', zone), item)),
  );
  const kinds = new Map<string, boolean[]>();
  for (const zone of zones) {
    const probe = freshBin(snapshot, template, 'new', 'probe', zone);
    const allowed = demand.map((item) => fits(probe, relaxed(item)));
    kinds.set(allowed.map(Number).join(''), allowed);
  }
  return {
    capacity: [template.cpu, template.memoryMiB, template.gpus, template.enis],
    items: demand.map((item) => patternItem(item, item.total)),
    kinds: [...kinds.values()],
  };
}

/**
 * The pricing problem solved by branch and bound, or, when that gives up, as a MIP by HiGHS, whose
 * dual bound is then the proven value (padded by its tolerance). Whichever answers, `value` is at
 * least the true optimum.
 */
export function pricePattern(
  problem: ConfigurationProblem,
  kind: readonly boolean[],
  values: readonly number[],
  highs: Highs,
  nodeLimit?: number,
): Pricing {
  const quick = bestPattern(problem, kind, values, nodeLimit);
  if (quick.exact) return quick;
  const used = problem.items
    .map((_, index) => index)
    .filter(
      (index) =>
        kind[index] &&
        (values[index] ?? 0) > 0 &&
        aloneLimit(problem, problem.items[index] as PatternItem) > 0,
    );
  const term = (coefficient: (index: number) => number) =>
    used
      .filter((index) => coefficient(index) !== 0)
      .map((index) => `${coefficient(index)} y${index}`)
      .join(' + ');
  const rows: string[] = [];
  problem.capacity.forEach((capacity, r) => {
    const sum = term((index) => (problem.items[index] as PatternItem).size[r] as number);
    if (sum) rows.push(` resource${r}: ${sum} <= ${capacity}`);
  });
  const keys = [...new Set(used.flatMap((index) => (problem.items[index] as PatternItem).exclusive))];
  keys.forEach((key, k) => {
    rows.push(
      ` key${k}: ${term((index) => ((problem.items[index] as PatternItem).exclusive.includes(key) ? 1 : 0))} <= 1`,
    );
  });
  if (used.length === 0 || rows.length === 0) return quick;
  const text = [
    'Maximize',
    ` value: ${used.map((index) => `${values[index]} y${index}`).join(' + ')}`,
    'Subject To',
    ...rows,
    'Bounds',
    ...used.map((index) => ` 0 <= y${index} <= ${aloneLimit(problem, problem.items[index] as PatternItem)}`),
    'Generals',
    ` ${used.map((index) => `y${index}`).join(' ')}`,
    'End',
  ].join('\n');
  return highs.withModel({ format: 'lp', data: text }, (model) => {
    model.options.set({ output_flag: false, mip_rel_gap: 0, mip_abs_gap: 0, time_limit: 10 });
    model.run();
    const dualBound = Number(model.info.get('mip_dual_bound'));
    const counts = new Array<number>(problem.items.length).fill(0);
    const solution = model.getSolution().colValue;
    // Columns appear in the order the objective names them.
    used.forEach((index, column) => {
      counts[index] = Math.round(solution[column] ?? 0);
    });
    const worth = (pattern: readonly number[]) =>
      pattern.reduce((sum, count, index) => sum + count * (values[index] ?? 0), 0);
    const feasible = holds(problem, kind, counts);
    const optimal = model.getModelStatus() === highs.constants.modelStatus.optimal;
    // Only a solved MIP's dual bound is trusted, padded for HiGHS's tolerances; otherwise the
    // branch and bound's root bound stands. Either way the value is at least the optimum.
    const upper =
      optimal && Number.isFinite(dualBound)
        ? Math.min(quick.value, dualBound + 1e-7 * Math.max(1, Math.abs(dualBound)))
        : quick.value;
    const better = feasible && worth(counts) > worth(quick.counts);
    const pricing: Pricing = {
      value: Math.max(upper, better ? worth(counts) : worth(quick.counts)),
      counts: better ? counts : quick.counts,
      exact: optimal,
      nodes: quick.nodes,
    };
    return pricing;
  });
}

/** Column generation on the configuration LP; see the module comment for why the result is proven. */
export function configurationBound(
  problem: ConfigurationProblem,
  highs: Highs,
  options: BoundOptions = {},
): LpBound {
  const { items } = problem;
  const result: LpBound = {
    value: 0,
    farley: 0,
    master: Number.POSITIVE_INFINITY,
    stop: 'iterations',
    iterations: 0,
    columns: 0,
    exactPricing: true,
  };
  if (items.length === 0 || problem.kinds.length === 0) {
    result.stop = 'converged';
    result.master = 0;
    return result;
  }
  const started = performance.now();
  const budgetMs = options.budgetMs ?? 5_000;
  const maxIterations = options.maxIterations ?? 1_000;
  const target = options.target ?? Number.POSITIVE_INFINITY;
  const rounded = (value: number) => Math.max(0, Math.ceil(value - 1e-6));
  const model = highs.createModel();
  try {
    model.options.set({ output_flag: false });
    for (const item of items) model.addRow(item.demand, highs.infinity, { indices: [], values: [] });
    const seen = new Set<string>();
    const addColumn = (counts: readonly number[]) => {
      const indices: number[] = [];
      const values: number[] = [];
      counts.forEach((count, index) => {
        // More than the demand never helps; capping keeps the master small and well scaled.
        const capped = Math.min(count, items[index]?.demand ?? 0);
        if (capped > 0) {
          indices.push(index);
          values.push(capped);
        }
      });
      const key = indices.map((index, k) => `${index}:${values[k]}`).join(',');
      if (indices.length === 0 || seen.has(key)) return false;
      seen.add(key);
      model.addCol(1, 0, highs.infinity, { indices, values });
      result.columns++;
      return true;
    };
    // Every item alone, so the master is feasible from the start; then the seed patterns.
    items.forEach((item, index) => {
      const counts = new Array<number>(items.length).fill(0);
      counts[index] = Math.max(1, aloneLimit(problem, item));
      addColumn(counts);
    });
    for (const pattern of options.initial ?? []) addColumn(pattern);

    while (result.iterations < maxIterations) {
      result.iterations++;
      model.run();
      if (model.getModelStatus() !== highs.constants.modelStatus.optimal) {
        result.stop = 'solver';
        break;
      }
      result.master = model.getObjectiveValue();
      const duals = Array.from(model.getSolution().rowDual, (dual) => Math.max(0, dual));
      const dualValue = items.reduce((sum, item, index) => sum + item.demand * (duals[index] ?? 0), 0);
      let best: Pricing | undefined;
      for (const kind of problem.kinds) {
        const pricing = pricePattern(problem, kind, duals, highs, options.nodeLimit);
        if (!pricing.exact) result.exactPricing = false;
        if (!best || pricing.value > best.value) best = pricing;
      }
      if (!best || best.value <= 0) {
        result.stop = 'solver';
        break;
      }
      // A hair above V keeps float error in the pricing sums on the safe side.
      const farley = dualValue / (best.value * (1 + 1e-9));
      if (farley > result.farley) result.farley = farley;
      // Within the pricing's tolerance of 1: the master's optimum is the LP's (Farley divides by V anyway).
      if (best.exact && best.value <= 1 + 1e-6) {
        result.stop = 'converged';
        break;
      }
      if (rounded(result.farley) >= target) {
        result.stop = 'target';
        break;
      }
      // The master's optimum bounds the LP optimum from above: once the proven bound rounds to the
      // same integer, more columns cannot raise it.
      if (rounded(result.farley) >= rounded(result.master)) {
        result.stop = 'rounded';
        break;
      }
      if (performance.now() - started > budgetMs) {
        result.stop = 'budget';
        break;
      }
      // The best pattern already in the master: HiGHS's duals are only that precise.
      if (!addColumn(best.counts)) {
        result.stop = 'solver';
        break;
      }
    }
  } finally {
    model.dispose();
  }
  result.value = rounded(result.farley);
  return result;
}

/** Tasks per item on each new instance of a plan made with `trace`, as seed columns. */
export function planPatterns(problem: ConfigurationProblem, plan: CapacityPlan): number[][] {
  const index = new Map(problem.items.map((item, position) => [item.key, position]));
  return (plan.assignments ?? [])
    .filter((assignment) => assignment.kind === 'new')
    .map((assignment) => {
      const counts = new Array<number>(problem.items.length).fill(0);
      for (const task of assignment.tasks) {
        const position = index.get(task.key);
        if (position !== undefined) counts[position] = (counts[position] ?? 0) + task.count;
      }
      return counts;
    });
}

export interface CertifiedBound {
  /** The best proven bound: the larger of the planner's and the LP's. */
  value: number;
  planner: number;
  /** Undefined when out of the LP's scope (instances exist or are on their way). */
  lp: LpBound | undefined;
}

/**
 * The best proven lower bound on new instances for a snapshot and its plan (made with `trace`, so
 * its instances seed the LP; stops as soon as the plan is proven optimal).
 */
export function certifiedBound(
  snapshot: CapacitySnapshot,
  plan: CapacityPlan,
  highs: Highs,
  options: Omit<BoundOptions, 'initial' | 'target'> = {},
): CertifiedBound {
  const problem = newInstanceProblem(snapshot);
  if (!problem) return { value: plan.lowerBound, planner: plan.lowerBound, lp: undefined };
  const lp = configurationBound(problem, highs, {
    ...options,
    initial: planPatterns(problem, plan),
    target: plan.newInstances,
  });
  return { value: Math.max(plan.lowerBound, lp.value), planner: plan.lowerBound, lp };
}
