import { groupOf, isServiceTask, isTerminal, type TaskLike, type Timestamp } from '../ecs/lifecycle';
import type { BlockedService, BudgetVerdict } from './budget';
import type { StandalonePolicy } from './policy';

/** What triggered the drain: a lifecycle hook to complete, or a Spot warning with nothing to complete. */
export type DrainTrigger = 'lifecycle' | 'spot';

/** Why the instance is leaving; worded into stop reasons and logs. */
export type DrainCause = 'terminate' | 'warm-pool' | 'spot';

/** The fields of an ECS ContainerInstance the policy reads; an SDK ContainerInstance passes straight in. */
export interface ContainerInstanceLike {
  containerInstanceArn?: string | undefined;
  ec2InstanceId?: string | undefined;
  status?: string | undefined;
  agentConnected?: boolean | undefined;
}

/** The fields of an ECS Task the policy reads; an SDK Task passes straight in. */
export interface DrainTaskLike extends TaskLike {
  taskArn?: string | undefined;
  taskDefinitionArn?: string | undefined;
  /** When ECS began stopping it (its desired status became STOPPED). */
  stoppingAt?: Timestamp | null | undefined;
}

export type TaskRole = 'service' | 'daemon' | 'standalone';

export interface TaskSummary {
  taskArn: string;
  role: TaskRole;
  group: string | undefined;
  lastStatus: string | undefined;
  desiredStatus: string | undefined;
}

export type CompleteReason = 'not-registered' | 'drained' | 'deadline-expired';

export type DrainAction =
  | { type: 'set-draining'; containerInstanceArn: string }
  | { type: 'stop-standalone-tasks'; tasks: TaskSummary[]; reason: string }
  /** Spot: tasks whose stop timeout is longer than the time left before the host goes. */
  | {
      type: 'warn-cut-short';
      tasks: { task: TaskSummary; stopTimeoutSeconds: number }[];
      secondsLeft: number;
    }
  | { type: 'heartbeat' }
  /**
   * The disruption budget holds the drain: completing now would take these services below their minimum
   * (or to zero). Reported (DrainBlocked, warning) and room asked for the replacements.
   */
  | {
      type: 'report-blocked';
      services: BlockedService[];
      why: string[];
      room: RoomRequest[];
      /** Epoch ms: past the ordinary deadline, held until then. */
      heldUntil: number | undefined;
    }
  | {
      type: 'complete-continue';
      reason: CompleteReason;
      remaining: TaskSummary[];
      /** At the last deadline: the services this completion takes below their minimum. */
      belowMinimum?: BlockedService[];
    }
  /** The instance is gone (INACTIVE, or out of the group) with the drain open: close it as lost. */
  | { type: 'close-lost'; died: TaskSummary[]; completeHook: boolean }
  | { type: 'wait'; remaining: number };

export type DrainVerdict =
  /** Nothing left to wait for: the action completes (lifecycle) or the pass is over (Spot). */
  | CompleteReason
  /** Set DRAINING just now with nothing running: look again before completing, a task may have landed. */
  | 'draining-started'
  | 'waiting'
  /** Waiting, and completing would take a service below its minimum (the disruption budget). */
  | 'blocked'
  /** Left ACTIVE, waiting its turn under the cap on instances DRAINING at once. */
  | 'queued'
  /** Spot: drain started and standalone tasks handled; the instance goes in two minutes either way. */
  | 'spot-drain-started'
  /** Deregistered (INACTIVE) or gone from the group mid-drain: what still ran on it died with it. */
  | 'instance-lost';

export interface DrainPlan {
  instanceId: string;
  containerInstanceArn: string | undefined;
  instanceStatus: string | undefined;
  verdict: DrainVerdict;
  /** True when nothing more will happen for this drain after the actions. */
  final: boolean;
  actions: DrainAction[];
  /** Tasks still holding the drain: not STOPPED and not of a DAEMON service. */
  remaining: TaskSummary[];
  daemonTasksIgnored: number;
  /** Epoch ms. */
  deadlineAt: number;
  /** Epoch ms from which standalone tasks are stopped; undefined under the `wait` policy. */
  stopStandaloneAt: number | undefined;
  notes: string[];
}

/** Room for a blocked service's replacements: what scale-capacity is asked for. */
export interface RoomRequest {
  service: string;
  /** The capacity provider its tasks land on (first of its strategy), `*` for any group of the cluster. */
  capacityProvider: string;
  taskDefinition: string | undefined;
  cpu: number;
  memoryMiB: number;
  gpus: number;
  count: number;
}

/** The disruption budget as observed: the verdict, and each service's task shape for a request for room. */
export interface BudgetObservation {
  verdict: BudgetVerdict;
  /** Per service name: one task's shape and where it lands (count filled in by the plan). */
  shapes: ReadonlyMap<string, Omit<RoomRequest, 'count' | 'service'>>;
}

export interface DrainPlanInput {
  trigger: DrainTrigger;
  cause: DrainCause;
  instanceId: string;
  group: string;
  /** undefined: the EC2 instance is not registered in the cluster. */
  instance: ContainerInstanceLike | undefined;
  /**
   * With no live registration: its deregistered (INACTIVE) one, with the tasks stopped by the host's
   * termination since the drain started. Undefined when ECS knows none.
   */
  deregistered?: { containerInstanceArn: string | undefined; died: readonly DrainTaskLike[] } | undefined;
  /** The drain began before this pass (a look already saw the instance), or the instance left its group. */
  drainUnderway?: boolean;
  /** The instance is no longer in its Auto Scaling group at all (the sweep of open drains). */
  vanished?: boolean;
  /** Every task ECS lists on the instance, of both desired statuses. */
  tasks: readonly DrainTaskLike[];
  /** Names of the cluster's services with schedulingStrategy DAEMON among the tasks' services. */
  daemonServices: ReadonlySet<string>;
  policy: StandalonePolicy;
  /** Epoch ms when this drain started (recorded once, shared by every invocation). */
  startedAt: number;
  deadlineSeconds: number;
  /** Epoch ms the hook's timer was last known restarted; undefined when unknown (heartbeat at once). */
  lastHeartbeatAt: number | undefined;
  heartbeatIntervalSeconds: number;
  now: number;
  /** Spot: epoch ms the instance goes (the warning's time + 2 minutes). */
  interruptionAt?: number | undefined;
  /** Spot: each task's longest container stop timeout in seconds, by task definition ARN. */
  stopTimeouts?: ReadonlyMap<string, number> | undefined;
  /** The disruption budget, when this pass observed it (service tasks still there, drain old enough). */
  budget?: BudgetObservation | undefined;
  /** Epoch ms until which a drain the budget blocks is held past the deadline ({@link holdUntil}). */
  holdUntil?: number | undefined;
  /**
   * False: the cluster has its most instances DRAINING at once (MAX_DRAINING_PER_CLUSTER) and this
   * ACTIVE one waits its turn. Undefined: no cap, or not asked (the instance is not ACTIVE).
   */
  drainingTurn?: boolean | undefined;
}

/**
 * How long, after the last other task stopped, the drain waits for DAEMON tasks (log routers, agents)
 * to reach STOPPED: ECS stops them last on a draining instance, and they flush what the others wrote.
 * Covers a stop timeout of up to 2 minutes plus ECS's delay in starting to stop them.
 */
export const DAEMON_STOP_WAIT_MS = 180_000;

/**
 * Past the deadline, how long a drain the budget held lets a task ECS is stopping finish (its stopTimeout
 * of up to 120 s plus a load balancer's default deregistration delay of 300 s, with room).
 */
export const STOPPING_GRACE_MS = 10 * 60_000;

/** ECS's stop timeout when a container sets none (ECS_CONTAINER_STOP_TIMEOUT, 30 s by default). */
export const DEFAULT_STOP_TIMEOUT_SECONDS = 30;

export function roleOf(task: DrainTaskLike, daemonServices: ReadonlySet<string>): TaskRole {
  if (!isServiceTask(task)) return 'standalone';
  const group = groupOf(task);
  return group?.kind === 'service' && daemonServices.has(group.name) ? 'daemon' : 'service';
}

export function summarize(task: DrainTaskLike, daemonServices: ReadonlySet<string>): TaskSummary {
  return {
    taskArn: task.taskArn ?? '(unknown)',
    role: roleOf(task, daemonServices),
    group: task.group,
    lastStatus: task.lastStatus,
    desiredStatus: task.desiredStatus,
  };
}

/** Names the instance and why, so whoever reads the stopped task knows who stopped it. */
export function stopReason(instanceId: string, group: string, cause: DrainCause): string {
  const why = {
    terminate: 'before Auto Scaling terminates it',
    'warm-pool': 'before Auto Scaling returns it to the warm pool',
    spot: 'after a Spot interruption warning',
  }[cause];
  return `Stopped by ecs-autopilot: draining EC2 instance ${instanceId} (Auto Scaling group ${group}) ${why}`;
}

/** Service names of the tasks that could hold a drain: what must be described to spot DAEMON tasks. */
export function servicesToClassify(tasks: readonly DrainTaskLike[]): string[] {
  const names = new Set<string>();
  for (const task of tasks) {
    if (isTerminal(task)) continue;
    const group = groupOf(task);
    if (group?.kind === 'service') names.add(group.name);
  }
  return [...names].sort();
}

export function heartbeatDue(lastHeartbeatAt: number | undefined, intervalSeconds: number, now: number) {
  return lastHeartbeatAt === undefined || now - lastHeartbeatAt >= intervalSeconds * 1000;
}

/**
 * The drain policy. "Drained" means no task on the instance has a lastStatus other than STOPPED, across
 * both desired statuses, DAEMON-service tasks aside (ECS stops those last, after the others). DRAINING
 * does not stop standalone tasks: the group's policy waits for them or stops them after a while.
 */
export function planDrain(input: DrainPlanInput): DrainPlan {
  const { instance, now, trigger } = input;
  const deadlineAt = input.startedAt + input.deadlineSeconds * 1000;
  // Spot: two minutes cannot honour `wait`; stopped at once, the tasks get their SIGTERM and grace
  // instead of dying with the host (Spot Instance interruption notices, Amazon EC2 User Guide).
  const stopStandaloneAt =
    trigger === 'spot'
      ? input.startedAt
      : input.policy.kind === 'stop-after'
        ? input.startedAt + input.policy.seconds * 1000
        : undefined;
  const base = {
    instanceId: input.instanceId,
    containerInstanceArn: instance?.containerInstanceArn,
    instanceStatus: instance?.status,
    deadlineAt,
    stopStandaloneAt,
  };

  if (!instance && (input.vanished || (input.deregistered && input.drainUnderway))) {
    const died = (input.deregistered?.died ?? []).map((task) => summarize(task, input.daemonServices));
    return {
      ...base,
      containerInstanceArn: input.deregistered?.containerInstanceArn,
      instanceStatus: input.deregistered ? 'INACTIVE' : undefined,
      verdict: 'instance-lost',
      final: true,
      actions: [{ type: 'close-lost', died, completeHook: trigger === 'lifecycle' && !input.vanished }],
      remaining: [],
      daemonTasksIgnored: 0,
      notes: [
        `${input.instanceId} ${input.deregistered ? 'was deregistered (INACTIVE)' : 'left its Auto Scaling group'} before the drain finished: ${died.length} task(s) died with it`,
      ],
    };
  }

  if (!instance) {
    return {
      ...base,
      verdict: 'not-registered',
      final: true,
      actions:
        trigger === 'lifecycle'
          ? [{ type: 'complete-continue', reason: 'not-registered', remaining: [] }]
          : [],
      remaining: [],
      daemonTasksIgnored: 0,
      notes: [`${input.instanceId} is not registered in the cluster: nothing to drain`],
    };
  }

  const live = input.tasks.filter((task) => !isTerminal(task));
  const summaries = live.map((task) => summarize(task, input.daemonServices));
  const remaining = summaries.filter((task) => task.role !== 'daemon');
  const daemonTasksIgnored = summaries.length - remaining.length;
  const notes: string[] = [];
  const actions: DrainAction[] = [];

  const arn = instance.containerInstanceArn;
  if (trigger === 'lifecycle' && instance.status === 'ACTIVE' && input.drainingTurn === false) {
    // Waiting its turn: kept alive, left ACTIVE, no deadline until the hold ends (it has not drained yet).
    const heldUntil = Math.max(deadlineAt, input.holdUntil ?? deadlineAt);
    if (now < heldUntil) {
      notes.push(
        'waiting its turn: the cluster has its most instances DRAINING at once (MAX_DRAINING_PER_CLUSTER)',
      );
      if (heartbeatDue(input.lastHeartbeatAt, input.heartbeatIntervalSeconds, now))
        actions.push({ type: 'heartbeat' });
      actions.push({ type: 'wait', remaining: remaining.length });
      return { ...base, verdict: 'queued', final: false, actions, remaining, daemonTasksIgnored, notes };
    }
    notes.push('its turn never came before the hold ended: draining now');
  }
  const needsDraining = instance.status === 'ACTIVE' && arn !== undefined;
  if (needsDraining) actions.push({ type: 'set-draining', containerInstanceArn: arn });
  if (instance.status !== 'ACTIVE' && instance.status !== 'DRAINING') {
    notes.push(
      `container instance status is ${instance.status ?? 'unknown'}: only an ACTIVE one can be set DRAINING`,
    );
  }
  if (instance.agentConnected === false && remaining.length > 0) {
    notes.push(
      'ECS agent disconnected: its tasks cannot report stopping until it reconnects or the deadline passes',
    );
  }

  if (remaining.length === 0) {
    if (trigger === 'spot') {
      return { ...base, verdict: 'drained', final: true, actions, remaining, daemonTasksIgnored, notes };
    }
    if (needsDraining) {
      // A task may be placed between our look and DRAINING taking effect: complete only after another look.
      return {
        ...base,
        verdict: 'draining-started',
        final: false,
        actions,
        remaining,
        daemonTasksIgnored,
        notes,
      };
    }
    const daemons = summaries.filter((task) => task.role === 'daemon');
    if (daemons.length > 0) {
      // Daemons last, but waited for (bounded), so a log router flushes the others' last lines.
      const othersDoneAt = Math.max(
        input.startedAt,
        ...input.tasks
          .filter((task) => isTerminal(task) && roleOf(task, input.daemonServices) !== 'daemon')
          .map((task) => epoch(task.stoppedAt) ?? input.startedAt),
      );
      const waitUntil = Math.min(othersDoneAt + DAEMON_STOP_WAIT_MS, deadlineAt);
      if (now < waitUntil) {
        notes.push(
          `waiting for ${daemons.length} daemon task(s) to stop (ECS stops them last) until ${new Date(waitUntil).toISOString()}`,
        );
        if (heartbeatDue(input.lastHeartbeatAt, input.heartbeatIntervalSeconds, now))
          actions.unshift({ type: 'heartbeat' });
        actions.push({ type: 'wait', remaining: daemons.length });
        return { ...base, verdict: 'waiting', final: false, actions, remaining, daemonTasksIgnored, notes };
      }
      notes.push(`${daemons.length} daemon task(s) still not STOPPED after the wait for them: completing`);
    }
    actions.push({ type: 'complete-continue', reason: 'drained', remaining: [] });
    return { ...base, verdict: 'drained', final: true, actions, remaining, daemonTasksIgnored, notes };
  }

  const blocked = trigger === 'lifecycle' ? (input.budget?.verdict.blocked ?? []) : [];
  const heldUntil = Math.max(deadlineAt, input.holdUntil ?? deadlineAt);
  const reportBlocked = (held: boolean): DrainAction => ({
    type: 'report-blocked',
    services: blocked,
    why: input.budget?.verdict.why ?? [],
    room: roomFor(blocked, input.budget),
    heldUntil: held ? heldUntil : undefined,
  });

  // Unblocked past the deadline: ECS is moving the last tasks (told to stop once their replacements
  // run); let their stop finish, bounded, rather than kill what is already leaving gracefully.
  const finishingMove =
    input.budget !== undefined &&
    blocked.length === 0 &&
    remaining.length > 0 &&
    live
      .filter((task) => roleOf(task, input.daemonServices) !== 'daemon')
      .every(
        (task) =>
          task.desiredStatus === 'STOPPED' &&
          now - (epoch(task.stoppingAt) ?? Number.NEGATIVE_INFINITY) < STOPPING_GRACE_MS,
      );
  if (trigger === 'lifecycle' && now >= deadlineAt && now < heldUntil && finishingMove) {
    notes.push(
      'deadline passed while ECS stops the last tasks after their replacements: letting them finish',
    );
    if (heartbeatDue(input.lastHeartbeatAt, input.heartbeatIntervalSeconds, now))
      actions.unshift({ type: 'heartbeat' });
    actions.push({ type: 'wait', remaining: remaining.length });
    return { ...base, verdict: 'waiting', final: false, actions, remaining, daemonTasksIgnored, notes };
  }

  if (trigger === 'lifecycle' && now >= deadlineAt && blocked.length > 0 && now < heldUntil) {
    // The budget holds it past the deadline, up to the operator's last word within Auto Scaling's limit.
    notes.push(
      `deadline passed, held by the disruption budget until ${new Date(heldUntil).toISOString()}: ${blocked.map((s) => s.name).join(', ')} would fall below their minimum`,
    );
    if (heartbeatDue(input.lastHeartbeatAt, input.heartbeatIntervalSeconds, now))
      actions.unshift({ type: 'heartbeat' });
    actions.push(reportBlocked(true), { type: 'wait', remaining: remaining.length });
    return { ...base, verdict: 'blocked', final: false, actions, remaining, daemonTasksIgnored, notes };
  }

  if (trigger === 'lifecycle' && now >= deadlineAt) {
    actions.push({
      type: 'complete-continue',
      reason: 'deadline-expired',
      remaining,
      ...(blocked.length > 0 ? { belowMinimum: blocked } : {}),
    });
    notes.push(
      `drain deadline of ${input.deadlineSeconds} s passed with ${remaining.length} task(s) still there`,
    );
    return {
      ...base,
      verdict: 'deadline-expired',
      final: true,
      actions,
      remaining,
      daemonTasksIgnored,
      notes,
    };
  }

  if (stopStandaloneAt !== undefined && now >= stopStandaloneAt) {
    // Tasks already told to stop are left to finish stopping; asking again changes nothing.
    const toStop = remaining.filter((task) => task.role === 'standalone' && task.desiredStatus !== 'STOPPED');
    if (toStop.length > 0) {
      actions.push({
        type: 'stop-standalone-tasks',
        tasks: toStop,
        reason: stopReason(input.instanceId, input.group, input.cause),
      });
    }
  }

  if (trigger === 'spot') {
    if (input.interruptionAt !== undefined) {
      const secondsLeft = Math.max(0, Math.floor((input.interruptionAt - now) / 1000));
      const cut = live
        .filter((task) => summarize(task, input.daemonServices).role !== 'daemon')
        .map((task) => ({
          task: summarize(task, input.daemonServices),
          stopTimeoutSeconds:
            input.stopTimeouts?.get(task.taskDefinitionArn ?? '') ?? DEFAULT_STOP_TIMEOUT_SECONDS,
        }))
        .filter((item) => item.stopTimeoutSeconds > secondsLeft);
      if (cut.length > 0) {
        actions.push({ type: 'warn-cut-short', tasks: cut, secondsLeft });
        notes.push(`${cut.length} task(s) have a stop timeout longer than the ${secondsLeft} s left`);
      }
    }
    return {
      ...base,
      verdict: 'spot-drain-started',
      final: true,
      actions,
      remaining,
      daemonTasksIgnored,
      notes,
    };
  }
  // First: a step that keeps failing (DRAINING, StopTask) must not keep the hook from its heartbeat.
  if (heartbeatDue(input.lastHeartbeatAt, input.heartbeatIntervalSeconds, now))
    actions.unshift({ type: 'heartbeat' });
  if (blocked.length > 0) {
    notes.push(
      `blocked by the disruption budget: ${blocked.map((s) => s.name).join(', ')} cannot be replaced on instances that stay`,
    );
    actions.push(reportBlocked(false));
  }
  actions.push({ type: 'wait', remaining: remaining.length });
  return {
    ...base,
    verdict: blocked.length > 0 ? 'blocked' : 'waiting',
    final: false,
    actions,
    remaining,
    daemonTasksIgnored,
    notes,
  };
}

/** What to ask scale-capacity for: room for each blocked service's tasks on this instance. */
function roomFor(blocked: readonly BlockedService[], budget: BudgetObservation | undefined): RoomRequest[] {
  return blocked.flatMap((service) => {
    const shape = budget?.shapes.get(service.name);
    return shape ? [{ ...shape, service: service.name, count: service.onInstance }] : [];
  });
}

/** Stop codes of tasks whose host went away under them (StopCode, Amazon ECS API Reference). */
const HOST_GONE_CODES: ReadonlySet<string> = new Set(['SpotInterruption', 'TerminationNotice']);
/** ECS's reason for tasks of a terminated host: `Host EC2 (instance i-…) terminated.` */
const HOST_TERMINATED = /^Host EC2 \(instance [^)]+\) (terminated|stopped)/;

const epoch = (value: Timestamp | null | undefined) =>
  value === undefined || value === null ? undefined : new Date(value).getTime();

/** Tasks that died with their host since `since` (epoch ms), not stopped by the drain's own process. */
export function diedWithHost(tasks: readonly DrainTaskLike[], since: number): DrainTaskLike[] {
  return tasks.filter((task) => {
    if (!isTerminal(task)) return false;
    const stoppedAt = epoch(task.stoppedAt);
    if (stoppedAt !== undefined && stoppedAt < since) return false;
    return HOST_GONE_CODES.has(task.stopCode ?? '') || HOST_TERMINATED.test(task.stoppedReason ?? '');
  });
}

/** One line naming a task for logs and dry-run plans: ARN, what runs it, where it is in its lifecycle. */
export function describeTask(task: TaskSummary): string {
  const owner = task.role === 'daemon' ? `${task.group} (daemon)` : (task.group ?? task.role);
  const stopping = task.desiredStatus === 'STOPPED' && task.lastStatus !== 'STOPPED' ? ', told to stop' : '';
  return `${task.taskArn} (${owner}, ${task.lastStatus ?? 'unknown'}${stopping})`;
}
