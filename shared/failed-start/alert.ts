import type { Alert } from '../aws/sns';
import { SNS_SUBJECT_MAX } from '../aws/sns';
import { groupOf } from '../ecs/lifecycle';
import type { Classification, ContainerSignal, StopSignals } from './classify';
import { ALERT_SOURCE, severityOf } from './decide';
import type { TaskSnapshot } from './events';
import { redactDeep } from './redact';
import { CATEGORY_INFO } from './taxonomy';

/** The parts of a task definition the alert reads; an SDK TaskDefinition fits. */
export interface TaskDefinitionLike {
  containerDefinitions?:
    | {
        name?: string | undefined;
        image?: string | undefined;
        essential?: boolean | undefined;
        logConfiguration?:
          | { logDriver?: string | undefined; options?: Record<string, string> | undefined }
          | undefined;
      }[]
    | undefined;
}

export interface LogLocation {
  container: string;
  region: string;
  group: string;
  /** Known when the definition sets awslogs-stream-prefix: `<prefix>/<container>/<taskId>`. */
  stream?: string;
  url: string;
}

export interface ContainerView {
  name: string;
  image?: string;
  essential?: boolean;
  reason?: string;
  exitCode?: number;
  lastStatus?: string;
  logs?: LogLocation;
}

/** How this failure relates to the ones before it, per (cluster, group, category). */
export type Repeats =
  | { kind: 'first'; windowSeconds: number; quietUntil: number }
  | {
      kind: 'again';
      failedMeanwhile: number;
      lastAlertAt: number;
      windowSeconds: number;
      quietUntil: number;
    };

/**
 * AWS Region codes (us-east-1, eu-central-2, us-gov-west-1, cn-north-1, eu-isoe-west-1). Anything else
 * (an awslogs-region of `evil.example/x#`) gets no link: the host of a link is never taken from text.
 */
export const AWS_REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;

/** The console of the Region's partition (AWS Management Console, GovCloud, China), or none. */
function consoleOrigin(region: string): string | undefined {
  if (!AWS_REGION.test(region)) return undefined;
  if (region.startsWith('cn-')) return `https://${region}.console.amazonaws.cn`;
  if (region.startsWith('us-gov-')) return 'https://console.amazonaws-us-gov.com';
  return `https://${region}.console.aws.amazon.com`;
}

/** Event text may hold lone surrogates, which encodeURIComponent refuses: make it well formed first. */
const uriPart = (value: string) => encodeURIComponent(value.toWellFormed());
/** The CloudWatch console encodes path parts twice and writes `%` as `$`. */
const cloudWatchPart = (value: string) => encodeURIComponent(uriPart(value)).replace(/%/g, '$');

/** A console URL from a validated origin and encoded path parts, with `region` as its query. */
function consoleUrl(region: string, parts: readonly string[], hash?: string): string | undefined {
  const origin = consoleOrigin(region);
  if (!origin) return undefined;
  const url = new URL(`/${parts.map(uriPart).join('/')}`, origin);
  url.searchParams.set('region', region);
  if (hash) url.hash = hash;
  return url.href;
}

export function logLocation(
  definition: NonNullable<TaskDefinitionLike['containerDefinitions']>[number],
  taskId: string,
  taskRegion: string,
): LogLocation | undefined {
  const config = definition.logConfiguration;
  const group = config?.options?.['awslogs-group'];
  if (config?.logDriver !== 'awslogs' || !group || !definition.name) return undefined;
  const region = config.options?.['awslogs-region'] || taskRegion;
  const prefix = config.options?.['awslogs-stream-prefix'];
  const stream = prefix ? `${prefix}/${definition.name}/${taskId}` : undefined;
  const hash = `logsV2:log-groups/log-group/${cloudWatchPart(group)}${stream ? `/log-events/${cloudWatchPart(stream)}` : ''}`;
  const url = consoleUrl(region, ['cloudwatch', 'home'], hash);
  if (!url) return undefined;
  return { container: definition.name, region, group, ...(stream ? { stream } : {}), url };
}

/** Event containers completed from the task definition (image, essential, awslogs location). */
export function containerViews(
  task: TaskSnapshot,
  definition: TaskDefinitionLike | undefined,
): ContainerView[] {
  const definitions = definition?.containerDefinitions ?? [];
  const names = new Set([
    ...task.containers.map((item) => item.name),
    ...definitions.map((item) => item.name),
  ]);
  return [...names]
    .filter((name): name is string => typeof name === 'string' && name !== '')
    .map((name) => {
      const seen = task.containers.find((item) => item.name === name);
      const defined = definitions.find((item) => item.name === name);
      const logs = defined ? logLocation(defined, task.taskId, task.region) : undefined;
      const image = seen?.image ?? defined?.image;
      const view: ContainerView = { name };
      if (image) view.image = image;
      if (defined?.essential !== undefined) view.essential = defined.essential;
      if (seen?.reason) view.reason = seen.reason;
      if (seen?.exitCode !== undefined) view.exitCode = seen.exitCode;
      if (seen?.lastStatus) view.lastStatus = seen.lastStatus;
      if (logs) view.logs = logs;
      return view;
    });
}

/** What the classifier reads, with images and log groups filled in from the task definition. */
export function signalsOf(task: TaskSnapshot, containers: readonly ContainerView[]): StopSignals {
  return {
    ...(task.stoppedReason ? { stoppedReason: task.stoppedReason } : {}),
    ...(task.stopCode ? { stopCode: task.stopCode } : {}),
    containers: containers
      .filter((item) => task.containers.some((seen) => seen.name === item.name))
      .map(
        (item): ContainerSignal => ({
          name: item.name,
          ...(item.image ? { image: item.image } : {}),
          ...(item.reason ? { reason: item.reason } : {}),
          ...(item.exitCode !== undefined ? { exitCode: item.exitCode } : {}),
          ...(item.logs ? { logGroup: item.logs.group } : {}),
          ...(item.essential !== undefined ? { essential: item.essential } : {}),
        }),
      ),
  };
}

export function groupParts(group: string): { kind: 'service' | 'family' | 'group'; name: string } {
  const parsed = groupOf({ group });
  if (parsed?.kind === 'service' || parsed?.kind === 'family') return parsed;
  return { kind: 'group', name: parsed?.name ?? group };
}

/** Links to the task, its service and its task definition; none when the task's Region is not one. */
export function consoleLinks(task: TaskSnapshot): {
  task?: string;
  service?: string;
  taskDefinition?: string;
} {
  const { region, cluster, taskId } = task;
  const group = groupParts(task.group);
  const [family = '', revision = ''] = task.taskDefinition.split(':');
  const link = (...parts: string[]) => consoleUrl(region, ['ecs', 'v2', ...parts]);
  const links = {
    task: link('clusters', cluster, 'tasks', taskId),
    service: group.kind === 'service' ? link('clusters', cluster, 'services', group.name) : undefined,
    taskDefinition: link('task-definitions', family, revision),
  };
  return Object.fromEntries(Object.entries(links).filter(([, url]) => url !== undefined));
}

/** ECS keeps up to 1024 characters of a task's or container's reason (API reference: Task, Container). */
export const ECS_REASON_LIMIT = 1024;

function reasonMayBeCut(task: TaskSnapshot, containers: readonly ContainerView[]): boolean {
  const reasons = [task.stoppedReason, ...containers.map((item) => item.reason)];
  return reasons.some((reason) => reason !== undefined && reason.length >= ECS_REASON_LIMIT);
}

const clock = (ms: number) => `${new Date(ms).toISOString().slice(11, 16)} UTC`;
const timestamp = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
const minutes = (seconds: number) => (seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`);

function groupLabel(group: string): string {
  const parts = groupParts(group);
  if (parts.kind === 'service') return `service ${parts.name}`;
  if (parts.kind === 'family') return `task family ${parts.name}`;
  return `group ${parts.name}`;
}

function subjectOf(task: TaskSnapshot, classification: Classification, repeats: Repeats): string {
  const tail =
    repeats.kind === 'again' ? ` (${repeats.failedMeanwhile} more since ${clock(repeats.lastAlertAt)})` : '';
  const suffix = `: ${classification.title}${tail}`;
  const prefix = `[${task.cluster}] ${groupLabel(task.group)} failed to start`;
  // SNS allows 100 characters: shorten the names, never the cause.
  const room = SNS_SUBJECT_MAX - suffix.length;
  const head = prefix.length <= room ? prefix : `${prefix.slice(0, Math.max(0, room - 1))}~`;
  return `${head}${suffix}`;
}

function capacityLine(task: TaskSnapshot): string {
  const launch = task.launchType ?? 'unknown launch type';
  return task.capacityProviderName ? `${task.capacityProviderName} (capacity provider, ${launch})` : launch;
}

function indent(text: string, by = '  '): string {
  return text
    .split('\n')
    .map((line) => `${by}${line}`)
    .join('\n');
}

/** The alert as people read it first (email, chat), and the same facts as JSON for machines. */
export function buildAlert(input: {
  task: TaskSnapshot;
  classification: Classification;
  containers: readonly ContainerView[];
  repeats: Repeats;
}): Alert {
  const { task, classification, containers, repeats } = input;
  const links = consoleLinks(task);
  const showLogs = CATEGORY_INFO[classification.category].logsLikely;
  const failing = containers.filter(
    (item) =>
      item.reason ||
      (item.exitCode !== undefined && item.exitCode !== 0) ||
      item.name === classification.facts.container,
  );
  const logs = containers
    .filter((item) => item.logs && (failing.length === 0 || failing.includes(item)))
    .map((item) => item.logs as LogLocation);
  const group = groupParts(task.group);

  const repeatsText =
    repeats.kind === 'first'
      ? `First failure of this kind for this ${group.kind} in the last ${minutes(repeats.windowSeconds)}. More of the same are counted, not sent, until ${clock(repeats.quietUntil)}.`
      : `${repeats.failedMeanwhile} more task${repeats.failedMeanwhile === 1 ? '' : 's'} failed this way since the last alert at ${timestamp(repeats.lastAlertAt)}. Next alert for this problem no sooner than ${clock(repeats.quietUntil)}.`;

  const context = [
    ['Cluster', task.cluster],
    [group.kind === 'service' ? 'Service' : group.kind === 'family' ? 'Task family' : 'Group', group.name],
    ['Task definition', task.taskDefinition],
    ['Task', `${task.taskId}${task.startedBy ? ` (started by ${task.startedBy})` : ''}`],
    ['Capacity', capacityLine(task)],
    ['Availability zone', task.availabilityZone ?? 'unknown'],
    ['Stop code', task.stopCode ?? 'none'],
    ['Stopped at', task.stoppedAt ?? 'unknown'],
  ]
    .map(([name, value]) => `${`${name}:`.padEnd(19)}${value}`)
    .join('\n');

  const containerLines = (failing.length > 0 ? failing : containers)
    .map((item) => {
      const lines = [`- ${item.name}${item.essential === false ? ' (not essential)' : ''}`];
      if (item.image) lines.push(`  image:     ${item.image}`);
      if (item.exitCode !== undefined) lines.push(`  exit code: ${item.exitCode}`);
      if (item.reason) lines.push(`  reason:    ${item.reason}`);
      if (showLogs && item.logs)
        lines.push(`  logs:      ${item.logs.group}${item.logs.stream ? ` ${item.logs.stream}` : ''}`);
      return lines.join('\n');
    })
    .join('\n');

  const linkLines = [
    ...(links.task ? [`Task:             ${links.task}`] : []),
    ...(links.service ? [`Service:          ${links.service}`] : []),
    ...(links.taskDefinition ? [`Task definition:  ${links.taskDefinition}`] : []),
    ...(showLogs ? logs.map((item) => `${`Logs (${item.container}):`.padEnd(17)} ${item.url}`) : []),
    `How to fix:       ${classification.docsUrl}`,
  ].join('\n');

  const text = [
    `${groupLabel(task.group)[0]?.toUpperCase()}${groupLabel(task.group).slice(1)} in cluster ${task.cluster} failed to start a task.`,
    '',
    'WHAT FAILED',
    indent(classification.summary),
    '',
    'WHY',
    indent(classification.cause),
    '',
    'HOW TO FIX',
    indent(classification.remedy),
    '',
    'HOW OFTEN',
    indent(repeatsText),
    '',
    'CONTEXT',
    indent(context),
    '',
    'CONTAINERS',
    indent(containerLines || '(none reported)'),
    // The task's reason, unless it only repeats a container's reason shown above.
    ...(task.stoppedReason && !containers.some((item) => item.reason === task.stoppedReason)
      ? ['', 'STOPPED REASON (as ECS wrote it)', indent(task.stoppedReason)]
      : []),
    ...(reasonMayBeCut(task, containers)
      ? [indent(`(ECS keeps at most ${ECS_REASON_LIMIT} characters of a reason; the end may be missing.)`)]
      : []),
    '',
    'LINKS',
    indent(linkLines),
    '',
    `-- ecs-autopilot detect-failed-start · ${classification.category} / ${classification.entryId}`,
  ].join('\n');

  const data = {
    schema: 'ecs-autopilot.failed-start/v1',
    status: 'firing',
    severity: severityOf(classification.category, task.group),
    category: classification.category,
    entryId: classification.entryId,
    title: classification.title,
    summary: classification.summary,
    cause: classification.cause,
    remedy: classification.remedy,
    docsUrl: classification.docsUrl,
    region: task.region,
    cluster: task.cluster,
    clusterArn: task.clusterArn,
    group: task.group,
    ...(group.kind === 'service' ? { service: group.name } : {}),
    task: {
      taskArn: task.taskArn,
      taskId: task.taskId,
      version: task.version,
      taskDefinitionArn: task.taskDefinitionArn,
      taskDefinition: task.taskDefinition,
      launchType: task.launchType,
      capacityProviderName: task.capacityProviderName,
      availabilityZone: task.availabilityZone,
      startedBy: task.startedBy,
      stopCode: task.stopCode,
      stoppedReason: task.stoppedReason,
      createdAt: task.createdAt,
      stoppedAt: task.stoppedAt,
    },
    containers,
    links: { ...links, logs, docs: classification.docsUrl },
    repeats:
      repeats.kind === 'first'
        ? {
            first: true,
            failedMeanwhile: 0,
            windowSeconds: repeats.windowSeconds,
            quietUntil: new Date(repeats.quietUntil).toISOString(),
          }
        : {
            first: false,
            failedMeanwhile: repeats.failedMeanwhile,
            lastAlertAt: new Date(repeats.lastAlertAt).toISOString(),
            windowSeconds: repeats.windowSeconds,
            quietUntil: new Date(repeats.quietUntil).toISOString(),
          },
    facts: classification.facts,
    evidence: classification.evidence,
    truncated: reasonMayBeCut(task, containers),
  };

  // Reasons and commands are quoted as ECS wrote them: credentials in them never leave the function.
  const attributes = {
    cluster: task.cluster,
    category: classification.category,
    severity: severityOf(classification.category, task.group),
    status: 'firing',
    source: ALERT_SOURCE,
  };
  return redactDeep({ subject: subjectOf(task, classification, repeats), text, data, attributes });
}
