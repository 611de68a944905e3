/**
 * A pure, time-stepped simulation of one cluster under a demand trace, to compare scale-capacity's
 * controller with a model of ECS managed scaling (cluster auto scaling) on the same trace. Both see
 * the same world: instances boot for the same time, the same scheduler places tasks; only the
 * decisions differ. Measured: task-seconds spent waiting for capacity, idle instance-seconds
 * (registered instances with no task) and instance-seconds in all.
 *
 * The managed-scaling model follows the published rules (ECS developer guide, "Deep dive on Amazon
 * ECS cluster auto scaling", https://aws.amazon.com/blogs/containers/deep-dive-on-amazon-ecs-cluster-auto-scaling/): CapacityProviderReservation = M / N x 100
 * published each minute; the scale-out alarm acts on 1 datapoint, the scale-in alarm on 15; M for
 * waiting tasks is N plus the instances needed by the largest single group of identical tasks
 * (binpacked), at least minimumScalingStepSize; from zero instances the metric is 200 (two
 * instances); while launched instances warm up (300 s) no further scale-out; scale-in removes only
 * empty instances (managed termination protection), at most half of them per step.
 */
import { planCapacity } from '../shared/capacity/planner';
import type { CapacitySnapshot, Foreseen, InstanceTypeResources, Shape } from '../shared/capacity/snapshot';
import { emptyShape, random } from './workloads';

export interface TraceTask {
  /** Seconds from the start. */
  at: number;
  /** Seconds it runs once placed. */
  runs: number;
  cpu: number;
  memoryMiB: number;
  group: string;
  /**
   * When the demand became visible before the task was created: a service's desiredCount raised at
   * once while its scheduler starts the tasks over the next minute. scale-capacity reads it as the
   * service's deficit; managed scaling only counts tasks already in PROVISIONING.
   */
  announcedAt?: number;
  /**
   * A scheduled job's task: `at` is its due time, known from the job's schedule long before the task
   * exists. scale-capacity reads it from the job registry (foreseen demand); managed scaling cannot.
   */
  job?: string;
}

export interface Trace {
  name: string;
  /** Seconds simulated. */
  duration: number;
  tasks: TraceTask[];
}

interface SimInstance {
  id: number;
  launchedAt: number;
  readyAt: number;
  cpu: number;
  memoryMiB: number;
  tasks: number;
  idleSince: number | undefined;
}

interface SimTask extends TraceTask {
  placedAt?: number;
  endsAt?: number;
  instance?: SimInstance;
}

export interface WorldView {
  now: number;
  desired: number;
  instances: readonly SimInstance[];
  /** Tasks waiting for room. */
  pending: readonly SimTask[];
  /** Tasks not created yet whose service deficit is already visible. */
  announced: readonly TraceTask[];
  /** Scheduled jobs' tasks not created yet, due within the hour (their schedule is known). */
  foreseen: readonly TraceTask[];
  /** Warm-pool instances ready to join (stopped, pre-initialized). */
  warmPool: number;
}

export interface Controller {
  name: string;
  /** Called every step; returns the new desired capacity and the instances to remove (idle ones). */
  step(view: WorldView, arrivals: number): { desired?: number; remove?: number[] } | undefined;
}

export interface SimulationOptions {
  type: InstanceTypeResources;
  bootSeconds: number;
  stepSeconds: number;
  min: number;
  max: number;
  /** Instances at the start (registered, empty). */
  initial: number;
  /**
   * An Auto Scaling warm pool of `size` pre-initialized, stopped instances: a launch takes one when
   * there is one and it registers after `bootSeconds` (a restart, shorter than a cold boot); the pool
   * refills with cold launches; instances scaled in go back to it (ReuseOnScaleIn) while it is short.
   */
  warmPool?: { size: number; bootSeconds: number };
}

export interface SimulationResult {
  controller: string;
  trace: string;
  pendingTaskSeconds: number;
  idleInstanceSeconds: number;
  instanceSeconds: number;
  maxInstances: number;
  unplacedAtEnd: number;
  /** Warm-pool instance-seconds (stopped instances: storage only, not counted as idle). */
  poolInstanceSeconds?: number;
  /** The most instances launched at once: the burst a warm pool must hold to cover. */
  largestLaunch?: number;
}

export function simulate(trace: Trace, controller: Controller, options: SimulationOptions): SimulationResult {
  const { type, stepSeconds: dt } = options;
  const tasks: SimTask[] = trace.tasks.map((task) => ({ ...task })).sort((a, b) => a.at - b.at);
  let nextArrival = 0;
  let nextId = 1;
  let desired = options.initial;
  const instances: SimInstance[] = [];
  let pool = options.warmPool?.size ?? 0;
  const refills: number[] = [];
  const launch = (now: number, ready: boolean) => {
    const fromPool = !ready && pool > 0 && options.warmPool !== undefined;
    if (fromPool) {
      pool--;
      refills.push(now + options.bootSeconds);
    }
    const boot = fromPool ? (options.warmPool?.bootSeconds ?? options.bootSeconds) : options.bootSeconds;
    return instances.push({
      id: nextId++,
      launchedAt: now,
      readyAt: ready ? now : now + boot,
      cpu: type.cpu,
      memoryMiB: type.memoryMiB,
      tasks: 0,
      idleSince: now,
    });
  };
  /** An instance leaving the group: back to the warm pool when it is short (ReuseOnScaleIn). */
  const retire = (instance: SimInstance) => {
    instances.splice(instances.indexOf(instance), 1);
    if (options.warmPool && pool + refills.length < options.warmPool.size) pool++;
  };
  for (let index = 0; index < options.initial; index++) launch(0, true);
  const pending: SimTask[] = [];
  const running: SimTask[] = [];
  const result: SimulationResult = {
    controller: controller.name,
    trace: trace.name,
    pendingTaskSeconds: 0,
    idleInstanceSeconds: 0,
    instanceSeconds: 0,
    maxInstances: instances.length,
    unplacedAtEnd: 0,
    ...(options.warmPool ? { poolInstanceSeconds: 0 } : {}),
  };

  for (let now = 0; now < trace.duration; now += dt) {
    // Warm-pool refills that finished their first boot are stopped and ready in the pool.
    for (let index = refills.length - 1; index >= 0; index--) {
      if ((refills[index] as number) <= now) {
        refills.splice(index, 1);
        pool++;
      }
    }
    // Tasks end, then new ones arrive.
    for (let index = running.length - 1; index >= 0; index--) {
      const task = running[index] as SimTask;
      if ((task.endsAt ?? 0) <= now) {
        const instance = task.instance as SimInstance;
        instance.cpu += task.cpu;
        instance.memoryMiB += task.memoryMiB;
        instance.tasks--;
        if (instance.tasks === 0) instance.idleSince = now;
        running.splice(index, 1);
      }
    }
    let arrivals = 0;
    while (nextArrival < tasks.length && (tasks[nextArrival] as SimTask).at <= now) {
      pending.push(tasks[nextArrival] as SimTask);
      nextArrival++;
      arrivals++;
    }

    const announced: TraceTask[] = [];
    const foreseen: TraceTask[] = [];
    for (let index = nextArrival; index < tasks.length; index++) {
      const task = tasks[index] as SimTask;
      // Tasks are sorted by creation; no deficit is announced more than an hour ahead.
      if (task.at > now + 3600) break;
      if (task.announcedAt !== undefined && task.announcedAt <= now) announced.push(task);
      if (task.job !== undefined) foreseen.push(task);
    }

    // The controller decides; the group launches or removes.
    const decision = controller.step(
      { now, desired, instances, pending, announced, foreseen, warmPool: pool },
      arrivals,
    );
    for (const id of decision?.remove ?? []) {
      const instance = instances.find((candidate) => candidate.id === id && candidate.tasks === 0);
      if (instance && desired > options.min) {
        retire(instance);
        desired--;
      }
    }
    if (decision?.desired !== undefined)
      desired = Math.max(options.min, Math.min(options.max, decision.desired));
    result.largestLaunch = Math.max(result.largestLaunch ?? 0, desired - instances.length);
    while (instances.length < desired) launch(now, false);
    // Lowering desired makes the group terminate instances: the newest empty ones here.
    while (instances.length > desired) {
      const empty = [...instances].reverse().find((instance) => instance.tasks === 0);
      if (!empty) break;
      retire(empty);
    }

    // The scheduler: waiting tasks, oldest first, on the fullest ready instance with room.
    const ready = instances.filter((instance) => instance.readyAt <= now);
    for (let index = 0; index < pending.length; ) {
      const task = pending[index] as SimTask;
      let best: SimInstance | undefined;
      for (const instance of ready) {
        if (instance.cpu >= task.cpu && instance.memoryMiB >= task.memoryMiB) {
          if (!best || instance.cpu + instance.memoryMiB / 4 < best.cpu + best.memoryMiB / 4) best = instance;
        }
      }
      if (!best) {
        index++;
        continue;
      }
      best.cpu -= task.cpu;
      best.memoryMiB -= task.memoryMiB;
      best.tasks++;
      best.idleSince = undefined;
      task.placedAt = now;
      task.endsAt = now + task.runs;
      task.instance = best;
      running.push(task);
      pending.splice(index, 1);
    }

    result.pendingTaskSeconds += pending.length * dt;
    result.idleInstanceSeconds += ready.filter((instance) => instance.tasks === 0).length * dt;
    result.instanceSeconds += instances.length * dt;
    result.maxInstances = Math.max(result.maxInstances, instances.length);
    if (result.poolInstanceSeconds !== undefined) result.poolInstanceSeconds += (pool + refills.length) * dt;
  }
  result.unplacedAtEnd = pending.length;
  return result;
}

/** scale-capacity: the real planner on a snapshot of the simulated world, each minute and on events. */
export function autopilotController(
  type: InstanceTypeResources,
  options: {
    reactionSeconds: number;
    scaleInAfterSeconds: number;
    min: number;
    max: number;
    bootTimeoutSeconds: number;
    /** The group's boot as scale-capacity measured it (lead time of foreseen demand). */
    bootSeconds?: number;
    /** Plan scheduled jobs' tasks ahead of their due time (off: the reactive floor). */
    foresight?: boolean;
    warmPool?: { size: number; bootSeconds: number };
  },
): Controller {
  let lastPass = Number.NEGATIVE_INFINITY;
  let eventAt: number | undefined;
  return {
    name: 'ecs-autopilot scale-capacity',
    step(view, arrivals) {
      // A placement failure or PROVISIONING event arrives when tasks do; the pass runs a few seconds later.
      if (arrivals > 0 && eventAt === undefined) eventAt = view.now + options.reactionSeconds;
      const due = view.now - lastPass >= 60 || (eventAt !== undefined && view.now >= eventAt);
      if (!due) return undefined;
      lastPass = view.now;
      eventAt = undefined;
      const snapshot = snapshotOf(view, type, options);
      const plan = planCapacity(snapshot, view.now * 1000);
      return {
        desired: plan.scaleOut > 0 ? plan.currentDesired - plan.removals.length + plan.scaleOut : undefined,
        remove: plan.removals.map((removal) => Number(removal.instanceId.slice(2))),
      };
    },
  };
}

function snapshotOf(
  view: WorldView,
  type: InstanceTypeResources,
  options: {
    scaleInAfterSeconds: number;
    min: number;
    max: number;
    bootTimeoutSeconds: number;
    bootSeconds?: number;
    foresight?: boolean;
    warmPool?: { size: number; bootSeconds: number };
  },
): CapacitySnapshot {
  const groups = new Map<string, { shape: Shape; count: number }>();
  for (const task of [...view.pending, ...view.announced]) {
    const key = `${task.cpu}/${task.memoryMiB}`;
    const entry = groups.get(key) ?? { shape: emptyShape(task.cpu, task.memoryMiB), count: 0 };
    entry.count++;
    groups.set(key, entry);
  }
  const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
  // Each job run's tasks, as the job registry describes them (shape, count, due time).
  const runs = new Map<string, Foreseen>();
  if (options.foresight) {
    for (const task of view.foreseen) {
      const key = `${task.job}@${task.at}`;
      const run = runs.get(key);
      if (run) run.count++;
      else
        runs.set(key, {
          source: 'job',
          job: task.job ?? task.group,
          dueAt: iso(task.at),
          count: 1,
          shape: emptyShape(task.cpu, task.memoryMiB),
          group: task.group,
          distinctInstance: false,
          concurrencyPolicy: 'Allow',
          activeTasks: 0,
        });
    }
  }
  return {
    version: 1,
    cluster: 'sim',
    capacityProvider: 'sim-cp',
    group: {
      name: 'sim-asg',
      min: options.min,
      max: options.max,
      desired: view.desired,
      availabilityZones: [],
      instanceTypes: ['sim'],
      ...(options.bootSeconds !== undefined ? { boot: { seconds: options.bootSeconds, samples: 10 } } : {}),
      ...(options.warmPool
        ? { warmPool: { ready: view.warmPool, warming: 0, bootSeconds: options.warmPool.bootSeconds } }
        : {}),
    },
    instanceTypes: { sim: type },
    newInstanceAttributes: {},
    daemonOverhead: emptyShape(0, 0),
    settings: {
      scaleInAfterSeconds: options.scaleInAfterSeconds,
      maxStep: 1000,
      maxScaleIn: { percent: 50 },
      headroom: { tasks: 0 },
      consolidation: false,
      bootTimeoutSeconds: options.bootTimeoutSeconds,
    },
    instances: view.instances
      .filter((instance) => instance.readyAt <= view.now)
      .map((instance) => ({
        id: `i-${instance.id}`,
        instanceType: 'sim',
        lifecycleState: 'InService',
        status: 'ACTIVE',
        agentConnected: true,
        protectedFromScaleIn: instance.tasks > 0,
        free: { cpu: instance.cpu, memoryMiB: instance.memoryMiB, gpus: 0, enis: 0 },
        portsInUse: { tcp: [], udp: [] },
        attributes: {},
        taskGroups: [],
        tasks: instance.tasks,
        nonDaemonTasks: instance.tasks,
        idleSince: instance.tasks === 0 && instance.idleSince !== undefined ? iso(instance.idleSince) : null,
        pinnedTasks: 0,
      })),
    launching: view.instances
      .filter((instance) => instance.readyAt > view.now)
      .map((instance) => ({
        id: `i-${instance.id}`,
        instanceType: 'sim',
        lifecycleState: 'Pending',
        launchedAt: iso(instance.launchedAt),
      })),
    demand: [...groups.values()].map((group, index) => ({
      source: `shape-${index}`,
      count: group.count,
      shape: group.shape,
      distinctInstance: false,
      newInstancesOnly: false,
    })),
    ...(options.foresight ? { foreseen: [...runs.values()] } : {}),
  };
}

/** ECS cluster auto scaling, per its published rules (see the top of this file). */
export function managedScalingController(
  type: InstanceTypeResources,
  options: { targetCapacity: number; warmupSeconds: number; minimumStep: number; maximumStep: number },
): Controller {
  let lastMinute = -1;
  let scheduled: { at: number; reservation: number; needed: number; busy: number } | undefined;
  let lowStreak = 0;
  let lastScaleOut = Number.NEGATIVE_INFINITY;
  return {
    name: 'ECS managed scaling (model)',
    step(view) {
      const minute = Math.floor(view.now / 60);
      let decision: { desired?: number; remove?: number[] } | undefined;
      // The alarm acts on the datapoint of the previous minute, one period later.
      if (scheduled && view.now >= scheduled.at) {
        const { reservation, needed, busy } = scheduled;
        scheduled = undefined;
        if (reservation > options.targetCapacity) {
          lowStreak = 0;
          if (view.now - lastScaleOut >= options.warmupSeconds) {
            decision = { desired: Math.max(view.desired + 1, needed) };
            lastScaleOut = view.now;
          }
        } else if (reservation < options.targetCapacity) {
          lowStreak++;
          if (lowStreak >= 15) {
            const empty = view.instances.filter(
              (instance) => instance.readyAt <= view.now && instance.tasks === 0,
            );
            const keep = Math.max(busy, Math.ceil(view.instances.length / 2));
            const remove = empty
              .slice(0, Math.max(0, view.instances.length - keep))
              .map((instance) => instance.id);
            if (remove.length > 0) decision = { remove };
          }
        } else lowStreak = 0;
      }
      if (minute !== lastMinute) {
        lastMinute = minute;
        const metric = reservationOf(view, type, options);
        scheduled = { at: view.now + 60, ...metric };
      }
      return decision;
    },
  };
}

function reservationOf(
  view: WorldView,
  type: InstanceTypeResources,
  options: { targetCapacity: number; minimumStep: number; maximumStep: number },
): { reservation: number; needed: number; busy: number } {
  const n = view.instances.length;
  const busy = view.instances.filter((instance) => instance.tasks > 0).length;
  // Only tasks the scheduler already tried count (PROVISIONING): one arriving this step is placed at
  // once when there is room, and never enters M.
  const waiting = view.pending.filter((task) => task.at < view.now);
  if (waiting.length > 0) {
    if (n === 0) return { reservation: 200, needed: 2, busy };
    // Per group of identical tasks, the instances binpacking that group alone needs; the largest.
    const groups = new Map<string, { cpu: number; memoryMiB: number; count: number }>();
    for (const task of waiting) {
      const key = `${task.cpu}/${task.memoryMiB}`;
      const group = groups.get(key) ?? { cpu: task.cpu, memoryMiB: task.memoryMiB, count: 0 };
      group.count++;
      groups.set(key, group);
    }
    let largest = 0;
    for (const group of groups.values()) {
      const perInstance = Math.max(
        1,
        Math.min(Math.floor(type.cpu / group.cpu), Math.floor(type.memoryMiB / group.memoryMiB)),
      );
      largest = Math.max(largest, Math.ceil(group.count / perInstance));
    }
    const step = Math.min(options.maximumStep, Math.max(options.minimumStep, largest));
    const m = n + step;
    return { reservation: (m / n) * 100, needed: m, busy };
  }
  if (n === 0) return { reservation: 100, needed: 0, busy };
  return { reservation: (busy / n) * 100, needed: busy, busy };
}

/** Demand traces: a bursty web service, batch jobs, deployments, and a nightly run from zero. */
export function sampleTraces(seed = 1): Trace[] {
  const next = random(seed);
  const hours = 4 * 3600;
  const traces: Trace[] = [];

  // Web services with a baseline and bursts every 30-45 minutes.
  const web: TraceTask[] = [];
  const shapes = [
    { cpu: 512, memoryMiB: 1024, group: 'api' },
    { cpu: 256, memoryMiB: 2048, group: 'cache' },
    { cpu: 1024, memoryMiB: 512, group: 'render' },
  ];
  for (const shape of shapes) for (let i = 0; i < 6; i++) web.push({ at: 0, runs: hours, ...shape });
  for (let at = 600; at < hours - 1800; at += 1800 + Math.floor(next() * 900)) {
    for (const shape of shapes) {
      const extra = 4 + Math.floor(next() * 16);
      const runs = 600 + Math.floor(next() * 900);
      // The service's desiredCount rises at `at`; its scheduler creates the tasks over the next minute.
      for (let i = 0; i < extra; i++)
        web.push({ at: at + Math.floor(next() * 60), announcedAt: at, runs, ...shape });
    }
  }
  traces.push({ name: 'bursty services', duration: hours, tasks: web });

  // Batch: groups of jobs every few minutes, each running 3-15 minutes.
  const batch: TraceTask[] = [];
  for (let at = 0; at < hours - 900; at += 120 + Math.floor(next() * 480)) {
    const count = 3 + Math.floor(next() * 25);
    const cpu = [256, 512, 1024, 2048][Math.floor(next() * 4)] as number;
    const memoryMiB = cpu * ([1, 2, 4][Math.floor(next() * 3)] as number);
    const runs = 180 + Math.floor(next() * 720);
    for (let i = 0; i < count; i++) batch.push({ at, runs, cpu, memoryMiB, group: `job-${at}` });
  }
  traces.push({ name: 'batch jobs', duration: hours, tasks: batch });

  // Deployments: 20 tasks run all the time; every hour a rolling deployment doubles them for 6 minutes.
  const deploy: TraceTask[] = [];
  for (let i = 0; i < 20; i++) deploy.push({ at: 0, runs: hours, cpu: 512, memoryMiB: 1024, group: 'svc' });
  for (let at = 900; at < hours; at += 3600) {
    for (let i = 0; i < 20; i++) deploy.push({ at, runs: 360, cpu: 512, memoryMiB: 1024, group: 'svc-new' });
  }
  traces.push({ name: 'deployments', duration: hours, tasks: deploy });

  // A nightly run on an empty cluster: 40 tasks for 20 minutes, then nothing.
  const nightly: TraceTask[] = [];
  for (let i = 0; i < 40; i++)
    nightly.push({ at: 300, runs: 1200, cpu: 1024, memoryMiB: 3072, group: 'nightly' });
  traces.push({ name: 'nightly from zero', duration: 2 * 3600, tasks: nightly });
  return traces;
}
