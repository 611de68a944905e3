import type * as z from 'zod';
import { parse as parseQuery, QuerySyntaxError } from '../ecs/query';
import { type LaunchType, validateTaskSize } from '../ecs/task-size';
import { type EventIssue, formatPath } from '../runtime/errors';
import { cut } from '../runtime/limits';
import { isTimeZone, parseSchedule } from './expression';
import { RESERVED_TAG_PREFIX, runTags } from './identity';
import { type Job, JobSchema, RUN_TASK_LIMITS } from './job';

/** A problem with a job, located by its path in the job and said so a person knows what to fix. */
export type JobProblem = EventIssue;

/** What validation needs from the task definition (an SDK TaskDefinition passes straight in). */
export interface JobTaskDefinition {
  family?: string | undefined;
  revision?: number | undefined;
  status?: string | undefined;
  cpu?: string | undefined;
  memory?: string | undefined;
  networkMode?: string | undefined;
  requiresCompatibilities?: readonly string[] | undefined;
  compatibilities?: readonly string[] | undefined;
  runtimePlatform?: { operatingSystemFamily?: string | undefined } | undefined;
  containerDefinitions?:
    | readonly {
        name?: string | undefined;
        essential?: boolean | undefined;
        memory?: number | undefined;
        memoryReservation?: number | undefined;
      }[]
    | undefined;
}

export type ParsedJob = { ok: true; job: Job } | { ok: false; problems: JobProblem[] };

/** Shape check (zod): types, enums, per-field ECS limits, unknown keys. */
export function parseJob(input: unknown): ParsedJob {
  const result = JobSchema.safeParse(input);
  if (result.success) return { ok: true, job: result.data };
  // Report every problem at once, not the shape first and the ECS rules in the next alert.
  const salvaged = salvage(input, result.error);
  return {
    ok: false,
    problems: [...zodProblems(result.error, input), ...(salvaged ? validateJob(salvaged) : [])],
  };
}

/** The job without its malformed fields (defaults in their place), to check the rest; undefined if nothing usable. */
function salvage(input: unknown, error: z.ZodError): Job | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  const rest: Record<string, unknown> = { ...input };
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys' && issue.path.length === 0) {
      for (const key of issue.keys) delete rest[key];
    } else if (issue.path.length > 0) {
      delete rest[String(issue.path[0])];
    }
  }
  const again = JobSchema.safeParse(rest);
  return again.success ? again.data : undefined;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function zodProblems(error: z.ZodError, input: unknown): JobProblem[] {
  return error.issues.map((issue) => {
    const path = formatPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      return {
        path,
        // Keys are quoted in the alert: cut, so a huge one can't push it past SNS's size limit.
        message: `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${cut(key, 64)}"`).join(', ')} (check the spelling; see the job schema in the README)`,
      };
    }
    if (issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined) {
      return { path, message: `${path || 'job'} is required` };
    }
    return { path, message: issue.message };
  });
}

const FARGATE_PROVIDERS = new Set(['FARGATE', 'FARGATE_SPOT']);

/**
 * The launch type a job's tasks get, when the job says: its launchType, or Fargate/EC2 from its
 * capacity providers. Undefined means the cluster's default capacity provider strategy decides.
 */
export function effectiveLaunchType(
  job: Pick<Job, 'launchType' | 'capacityProviderStrategy'>,
): LaunchType | undefined {
  if (job.launchType) return job.launchType;
  const providers = job.capacityProviderStrategy?.map((item) => item.capacityProvider);
  if (!providers || providers.length === 0) return undefined;
  return providers.every((provider) => FARGATE_PROVIDERS.has(provider)) ? 'FARGATE' : 'EC2';
}

/**
 * What a flexible window must leave of the starting deadline: Scheduler's own 60-second precision plus a
 * few RunTask attempts. A scale-out needs more; the default deadline leaves it.
 */
export const MIN_DEADLINE_ROOM_SECONDS = 120;

/**
 * ECS rules RunTask would enforce (or would silently get wrong), checked before anything runs so the
 * alert can say what to fix. With the task definition, also checks compatibility, task size for the
 * launch type, networking and container names.
 */
export function validateJob(
  job: Job,
  taskDefinition?: JobTaskDefinition,
  defaults: { startingDeadlineSeconds?: number } = {},
): JobProblem[] {
  const problems: JobProblem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });

  if (job.timeZone !== undefined && !isTimeZone(job.timeZone))
    add('timeZone', `unknown time zone "${job.timeZone}": use an IANA name such as America/New_York`);
  else if (job.schedule !== undefined) {
    const parsed = parseSchedule(job.schedule, job.timeZone);
    if (!parsed.ok) add('schedule', parsed.message);
  } else if (job.timeZone !== undefined)
    add('timeZone', 'timeZone is the time zone of schedule: set schedule too');
  const deadline = job.startingDeadlineSeconds ?? defaults.startingDeadlineSeconds;
  if (job.flexibleTimeWindowMinutes !== undefined && deadline !== undefined) {
    // Scheduler names the window's start as the scheduled time: invoked late in the window, a run has
    // only what is left of the deadline to start (and to wait for a scale-out).
    const room = deadline - job.flexibleTimeWindowMinutes * 60;
    if (room < MIN_DEADLINE_ROOM_SECONDS) {
      add(
        'flexibleTimeWindowMinutes',
        `a ${job.flexibleTimeWindowMinutes}-minute flexible window leaves the ${deadline} s starting deadline no room (${room} s, at least ${MIN_DEADLINE_ROOM_SECONDS} s needed): a run invoked late in the window would be missed; raise startingDeadlineSeconds or shorten the window`,
      );
    }
  }

  if (job.launchType && job.capacityProviderStrategy) {
    add(
      'launchType',
      'set either launchType or capacityProviderStrategy, not both (RunTask rejects the pair); omit both to use the cluster default strategy',
    );
  }

  const strategy = job.capacityProviderStrategy ?? [];
  const names = strategy.map((item) => item.capacityProvider);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate) add('capacityProviderStrategy', `capacity provider "${duplicate}" is listed twice`);
  if (strategy.filter((item) => (item.base ?? 0) > 0).length > 1) {
    add(
      'capacityProviderStrategy',
      'only one capacity provider in a strategy may have a base greater than 0',
    );
  }
  const fargate = names.filter((name) => FARGATE_PROVIDERS.has(name));
  if (fargate.length > 0 && fargate.length < names.length) {
    add(
      'capacityProviderStrategy',
      `Fargate capacity providers (${fargate.join(', ')}) can't be mixed with Auto Scaling group capacity providers in one strategy`,
    );
  }

  if (job.propagateTags === 'SERVICE') {
    add(
      'propagateTags',
      'propagateTags SERVICE is only valid for services; RunTask accepts TASK_DEFINITION or NONE',
    );
  }

  const tags = job.tags ?? [];
  const ours = runTags(job.name, '1970-01-01T00:00:00Z').length;
  if (tags.length + ours > RUN_TASK_LIMITS.tags) {
    add(
      'tags',
      `${tags.length} tags plus the ${ours} ecs-autopilot adds is more than the ${RUN_TASK_LIMITS.tags} RunTask accepts; remove ${tags.length + ours - RUN_TASK_LIMITS.tags}`,
    );
  }
  tags.forEach((tag, index) => {
    if (tag.key.startsWith(RESERVED_TAG_PREFIX)) {
      add(
        `tags[${index}].key`,
        `tag keys starting with "${RESERVED_TAG_PREFIX}" are set by ecs-autopilot itself`,
      );
    } else if (/^aws:/i.test(tag.key)) {
      add(`tags[${index}].key`, 'tag keys starting with "aws:" are reserved by AWS');
    }
    if (!/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u.test(`${tag.key}${tag.value}`)) {
      add(`tags[${index}]`, 'tags may contain only letters, digits, spaces and _ . : / = + - @');
    }
  });
  const tagKeys = tags.map((tag) => tag.key);
  const repeatedKey = tagKeys.find((key, index) => tagKeys.indexOf(key) !== index);
  if (repeatedKey) add('tags', `tag key "${repeatedKey}" is set twice`);

  if (job.overrides) {
    const bytes = Buffer.byteLength(JSON.stringify(job.overrides), 'utf8');
    if (bytes > RUN_TASK_LIMITS.overridesBytes) {
      add(
        'overrides',
        `overrides are ${bytes} bytes as JSON, more than the ${RUN_TASK_LIMITS.overridesBytes} RunTask accepts; move large values (e.g. environment) to environmentFiles or the task definition`,
      );
    }
  }

  const launchType = effectiveLaunchType(job);
  (job.placementConstraints ?? []).forEach((constraint, index) => {
    const path = `placementConstraints[${index}]`;
    if (constraint.type === 'distinctInstance' && constraint.expression !== undefined) {
      add(`${path}.expression`, 'distinctInstance takes no expression');
    }
    if (constraint.type === 'memberOf') {
      if (!constraint.expression)
        add(`${path}.expression`, 'memberOf needs an expression in the cluster query language');
      else {
        try {
          parseQuery(constraint.expression);
        } catch (error) {
          if (!(error instanceof QuerySyntaxError)) throw error;
          add(`${path}.expression`, `invalid cluster query: ${error.message}`);
        }
      }
    }
  });
  if (launchType === 'FARGATE' && (job.placementConstraints?.length || job.placementStrategy?.length)) {
    add('placementConstraints', 'Fargate tasks take no placement constraints or strategy; remove them');
  }

  if (taskDefinition) problems.push(...checkAgainstTaskDefinition(job, taskDefinition, launchType));
  return problems;
}

function checkAgainstTaskDefinition(
  job: Job,
  taskDefinition: JobTaskDefinition,
  launchType: LaunchType | undefined,
): JobProblem[] {
  const problems: JobProblem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  const definedNames = new Set(
    (taskDefinition.containerDefinitions ?? []).flatMap((container) =>
      container.name ? [container.name] : [],
    ),
  );
  (job.successContainers ?? []).forEach((name, index) => {
    if (!definedNames.has(name))
      add(`successContainers[${index}]`, `the task definition has no container "${name}"`);
  });
  const label =
    taskDefinition.family && taskDefinition.revision !== undefined
      ? `${taskDefinition.family}:${taskDefinition.revision}`
      : job.taskDefinition;

  if (taskDefinition.status && taskDefinition.status !== 'ACTIVE') {
    add(
      'taskDefinition',
      `task definition ${label} is ${taskDefinition.status}; point the job at an ACTIVE revision`,
    );
  }

  const compatibilities = taskDefinition.compatibilities ?? taskDefinition.requiresCompatibilities;
  if (launchType && compatibilities && compatibilities.length > 0 && !compatibilities.includes(launchType)) {
    add(
      'taskDefinition',
      `task definition ${label} is compatible with ${compatibilities.join(', ')}, not ${launchType}; choose a matching launch type or capacity provider`,
    );
  }

  const networkMode = taskDefinition.networkMode ?? (launchType === 'FARGATE' ? 'awsvpc' : 'bridge');
  if (networkMode === 'awsvpc' && !job.networkConfiguration) {
    add(
      'networkConfiguration',
      `task definition ${label} uses awsvpc networking: set networkConfiguration.awsvpcConfiguration with subnets (and security groups)`,
    );
  }
  if (networkMode !== 'awsvpc' && job.networkConfiguration) {
    add(
      'networkConfiguration',
      `task definition ${label} uses ${networkMode} networking, which takes no networkConfiguration; remove it`,
    );
  }

  const containerNames = (taskDefinition.containerDefinitions ?? []).map((container) => container.name);
  (job.overrides?.containerOverrides ?? []).forEach((override, index) => {
    if (containerNames.length > 0 && !containerNames.includes(override.name)) {
      add(
        `overrides.containerOverrides[${index}].name`,
        `task definition ${label} has no container "${override.name}"; its containers are ${containerNames.map((name) => `"${name}"`).join(', ')}`,
      );
    }
  });

  if (launchType) {
    const cpu = job.overrides?.cpu ?? taskDefinition.cpu;
    const memory = job.overrides?.memory ?? taskDefinition.memory;
    const size = validateTaskSize(
      { cpu, memory, containerDefinitions: taskDefinition.containerDefinitions },
      launchType,
      {
        platformVersion: job.platformVersion,
        operatingSystemFamily: taskDefinition.runtimePlatform?.operatingSystemFamily,
      },
    );
    if (!size.ok) {
      const path =
        job.overrides?.memory !== undefined
          ? 'overrides.memory'
          : job.overrides?.cpu !== undefined
            ? 'overrides.cpu'
            : 'taskDefinition';
      const alternatives =
        size.validAlternatives.length > 0 ? ` Valid: ${size.validAlternatives.join(', ')}.` : '';
      add(
        path,
        `task size invalid for ${launchType}: ${size.reason}${size.reason.includes('Valid') ? '' : alternatives}`,
      );
    }
  }
  return problems;
}

/** Names of the essential containers (ECS treats a container as essential unless it says otherwise). */
export function essentialContainers(taskDefinition: JobTaskDefinition): string[] {
  return (taskDefinition.containerDefinitions ?? [])
    .filter((container) => container.essential !== false)
    .map((container) => container.name)
    .filter((name): name is string => name !== undefined);
}
