import { neverRan, type Timestamp } from '../ecs/lifecycle';
import { classify } from '../failed-start/classify';
import { taskIdOf } from './identity';

/** A stopped task as an ECS Task State Change detail or a DescribeTasks entry gives it. */
export interface StoppedTaskLike {
  taskArn?: string | undefined;
  taskDefinitionArn?: string | undefined;
  lastStatus?: string | undefined;
  stopCode?: string | undefined;
  stoppedReason?: string | undefined;
  startedAt?: Timestamp | null | undefined;
  stoppedAt?: Timestamp | null | undefined;
  containers?:
    | readonly {
        name?: string | undefined;
        exitCode?: number | null | undefined;
        reason?: string | undefined;
      }[]
    | undefined;
}

export interface ContainerResult {
  name: string;
  exitCode: number | null;
  reason?: string;
  essential: boolean;
}

export interface TaskOutcome {
  taskArn: string;
  /** The task definition (revision) it ran, for the alert's links. */
  taskDefinitionArn?: string;
  succeeded: boolean;
  neverRan: boolean;
  stopCode?: string;
  stoppedReason?: string;
  startedAt?: string;
  stoppedAt?: string;
  containers: ContainerResult[];
  /** One line for people: why it counts as failed, or "exited 0". */
  summary: string;
  /** Why it failed, when it is one of ours: stopped at the run's activeDeadlineSeconds. */
  reason?: 'DeadlineExceeded';
}

export const toIso = (value: Timestamp | null | undefined): string | undefined => {
  if (value === undefined || value === null || value === '') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
};

/** Stop codes that mean the task ended by itself, its essential container having exited. */
const SELF_STOP_CODES = new Set(['EssentialContainerExited']);

/**
 * Whether a job's task succeeded: it ran, it ended by itself, and every essential container exited 0.
 * A task stopped from outside (a user, the active deadline, a Spot interruption, a host going away)
 * did not finish its work, whatever its exit codes. `essential` lists the essential container names
 * from the task definition; without it every container counts as essential (ECS's default).
 */
/** The stop reason the periodic pass gives a run past activeDeadlineSeconds (see reconcile.ts deadlineStops). */
export const DEADLINE_REASON_PATTERN = /^ecs-autopilot: job \S+ run due \S+ exceeded activeDeadlineSeconds/;

/** Exit codes of a container ECS stopped: SIGTERM (128 + 15), or SIGKILL (128 + 9) after the stop timeout. */
const STOPPED_BY_ECS_EXIT_CODES = new Set([143, 137]);

export function taskOutcome(
  task: StoppedTaskLike,
  essential?: readonly string[],
  /** The job's successContainers: the containers whose exit decides (default: see below). */
  deciding?: readonly string[],
): TaskOutcome {
  const containers: ContainerResult[] = (task.containers ?? []).map((container, index) => {
    const name = container.name ?? `container-${index}`;
    const result: ContainerResult = {
      name,
      exitCode: container.exitCode ?? null,
      essential: essential ? essential.includes(name) : true,
    };
    if (container.reason) result.reason = container.reason;
    return result;
  });
  const essentials = containers.filter((container) => container.essential);
  const ran = !neverRan({ ...task, lastStatus: task.lastStatus ?? 'STOPPED' });
  const nonZero = decidingContainers(task, containers, essentials, deciding).filter(
    (container) => container.exitCode !== 0,
  );
  const stoppedFromOutside = task.stopCode !== undefined && !SELF_STOP_CODES.has(task.stopCode);
  const deadline =
    task.stopCode === 'UserInitiated' && DEADLINE_REASON_PATTERN.test(task.stoppedReason ?? '');

  let summary: string;
  if (!ran) {
    summary = neverStartedSummary(task);
  } else if (deadline) {
    summary = `DeadlineExceeded: ${task.stoppedReason}`;
  } else if (stoppedFromOutside) {
    summary = `stopped before it finished (${task.stopCode}): ${task.stoppedReason ?? 'no reason given'}`;
  } else if (essentials.length === 0) {
    summary = `stopped: ${task.stoppedReason ?? 'no container reported'}`;
  } else if (nonZero.length > 0) {
    summary = nonZero
      .map(
        (container) =>
          `container ${container.name} ${container.exitCode === null ? 'has no exit code' : `exited ${container.exitCode}`}${container.reason ? ` (${container.reason})` : ''}`,
      )
      .join('; ');
  } else {
    summary = `essential container${essentials.length > 1 ? 's' : ''} exited 0`;
  }
  const outcome: TaskOutcome = {
    taskArn: task.taskArn ?? 'unknown',
    succeeded: ran && !stoppedFromOutside && essentials.length > 0 && nonZero.length === 0,
    neverRan: !ran,
    containers,
    summary,
  };
  if (deadline) outcome.reason = 'DeadlineExceeded';
  if (task.taskDefinitionArn) outcome.taskDefinitionArn = task.taskDefinitionArn;
  if (task.stopCode) outcome.stopCode = task.stopCode;
  if (task.stoppedReason) outcome.stoppedReason = task.stoppedReason;
  const startedAt = toIso(task.startedAt);
  const stoppedAt = toIso(task.stoppedAt);
  if (startedAt) outcome.startedAt = startedAt;
  if (stoppedAt) outcome.stoppedAt = stoppedAt;
  return outcome;
}

/**
 * The containers whose exit decides: the job's successContainers when it names them; otherwise the
 * essential containers that ended by themselves. Once an essential container exits, ECS stops the others
 * (SIGTERM, then SIGKILL): an essential sidecar ending 143 or 137 then is ECS's doing, not a failure.
 * When every essential container ended that way, nothing tells which came first, so all of them count.
 */
function decidingContainers(
  task: StoppedTaskLike,
  containers: readonly ContainerResult[],
  essentials: readonly ContainerResult[],
  deciding: readonly string[] | undefined,
): ContainerResult[] {
  if (deciding) {
    // A named container missing from the task can't have succeeded.
    return deciding.map(
      (name) =>
        containers.find((container) => container.name === name) ?? { name, exitCode: null, essential: false },
    );
  }
  if (task.stopCode !== 'EssentialContainerExited') return [...essentials];
  const byThemselves = essentials.filter(
    (container) => container.exitCode === null || !STOPPED_BY_ECS_EXIT_CODES.has(container.exitCode),
  );
  return byThemselves.length > 0 ? byThemselves : [...essentials];
}

export interface RunOutcome {
  succeeded: boolean;
  /** One line per failed task, for the alert. */
  failures: string[];
  exitCodes: Record<string, Record<string, number | null>>;
}

/** A run succeeds when every one of its tasks did. */
export function runOutcome(tasks: readonly TaskOutcome[]): RunOutcome {
  const failed = tasks.filter((task) => !task.succeeded);
  return {
    succeeded: tasks.length > 0 && failed.length === 0,
    failures: failed.map((task) => `task ${taskIdOf(task.taskArn)}: ${task.summary}`),
    exitCodes: Object.fromEntries(
      tasks.map((task) => [
        taskIdOf(task.taskArn),
        Object.fromEntries(task.containers.filter((c) => c.essential).map((c) => [c.name, c.exitCode])),
      ]),
    ),
  };
}

/** The same plain-words diagnosis detect-failed-start gives, which leaves job runs to this alert. */
function neverStartedSummary(task: StoppedTaskLike): string {
  const said = task.stoppedReason ?? task.stopCode ?? 'no reason given';
  const classification = classify({
    stoppedReason: task.stoppedReason,
    stopCode: task.stopCode,
    containers: task.containers,
  });
  if (classification.entryId === 'unknown') return `never started: ${said}`;
  return `never started: ${classification.summary} Fix: ${classification.remedy} (ECS said: ${said})`;
}
