import { createHash } from 'node:crypto';
import { groupOf } from '../ecs/lifecycle';
import { type Alert, SNS_SUBJECT_MAX, toSubject } from '../runtime/alert-message';
import { cut } from '../runtime/limits';
import type { Classification, ContainerSignal, StopSignals } from './classify';
import {
  ALERT_SOURCE,
  type AlertStatus,
  type Incident,
  type IncidentMember,
  type MessageKind,
  severityOf,
} from './decide';
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

function groupLabel(group: string): string {
  const parts = groupParts(group);
  if (parts.kind === 'service') return `service ${parts.name}`;
  if (parts.kind === 'family') return `task family ${parts.name}`;
  return `group ${parts.name}`;
}

function subjectOf(task: TaskSnapshot, classification: Classification): string {
  return shortSubject(
    `[${task.cluster}] ${groupLabel(task.group)} failed to start`,
    `: ${classification.title}`,
  );
}

/** SNS wants fewer than 100 characters: shorten the names (the head), never the cause (the tail). */
function shortSubject(head: string, tail: string): string {
  const room = SNS_SUBJECT_MAX - tail.length;
  const shortHead = head.length <= room ? head : `${head.slice(0, Math.max(0, room - 1))}~`;
  return `${shortHead}${tail}`.slice(0, SNS_SUBJECT_MAX);
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
}): Alert {
  const { task, classification, containers } = input;
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
  return redactDeep({ subject: subjectOf(task, classification), text, data, attributes });
}

// --- Messages of a problem's lifecycle (firing, repeat, recurred, resolved), for every subscriber ----

export interface Notification extends Alert {
  /** One line under 160 characters (SMS). */
  sms: string;
  /** AWS Chatbot (Amazon Q Developer in chat applications) custom notification, for the chat topic. */
  chat: Record<string, unknown>;
  /** The same for every message of the problem: mail threads, chat threads, receivers' deduplication. */
  dedupKey: string;
}

export interface MessageInput {
  incident: Incident;
  kind: MessageKind;
  now: number;
  /** Firing messages: when the next one may go. */
  nextDueAt?: number;
  /** Resolved messages: what showed it healthy again. */
  resolution?: string;
}

export const SMS_MAX = 159;
/** Conservative caps for Chatbot's custom notification (its docs: "Custom notifications ... Event schema"). */
const CHAT_TITLE_MAX = 250;
const CHAT_DESCRIPTION_MAX = 4000;

const duration = (ms: number) => {
  const minutesTotal = Math.max(0, Math.round(ms / 60_000));
  const hours = Math.floor(minutesTotal / 60);
  const rest = minutesTotal % 60;
  if (hours === 0) return `${rest} min`;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
};
const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

export const dedupKeyOf = (pk: string) =>
  `failed-start-${createHash('sha256').update(pk).digest('hex').slice(0, 24)}`;

function titleOf(incident: Incident): string {
  const latest = incident.members.find((member) => member.detail)?.detail?.data;
  const title = typeof latest?.title === 'string' ? latest.title : undefined;
  return title ?? CATEGORY_INFO[incident.category].label;
}

function affectedLabel(members: readonly IncidentMember[]): string {
  if (members.length === 1 && members[0]) return groupLabel(members[0].group);
  const services = members.filter((member) => groupParts(member.group).kind === 'service').length;
  const others = members.length - services;
  return [services ? plural(services, 'service') : '', others ? plural(others, 'task family') : '']
    .filter(Boolean)
    .join(' and ')
    .replace('task familys', 'task families');
}

/**
 * The subject a problem keeps for all its messages (stored with its first one): the service or family
 * when one is affected, else how many and the shared cause.
 */
export function problemSubject(incident: Incident): string {
  if (incident.subject) return incident.subject;
  const [only] = incident.members;
  if (incident.members.length === 1 && only) {
    return toSubject(
      shortSubject(
        `[${incident.cluster}] ${groupLabel(only.group)} failed to start`,
        `: ${titleOf(incident)}`,
      ),
    );
  }
  const tail = `: ${titleOf(incident)}${incident.causeLabel ? ` (${incident.causeLabel})` : ''}`;
  return toSubject(
    shortSubject(`[${incident.cluster}] ${affectedLabel(incident.members)} failed to start`, tail),
  );
}

function statusLines(input: MessageInput): string[] {
  const { incident, kind, now } = input;
  const since = timestamp(incident.episodeStartedAt);
  const fresh = incident.failures - incident.notifiedFailures;
  switch (kind) {
    case 'new':
      return [`New problem: first failure at ${since}; ${plural(incident.failures, 'failure')} so far.`];
    case 'recurred':
      return [
        `Recurred: it had ended at ${timestamp(incident.recurredAfter ?? incident.episodeStartedAt)} and fails again since ${since}; ${plural(incident.failures, 'failure')} in this episode (earlier ones not counted).`,
      ];
    case 'repeat':
      return [
        `Still failing since ${since} (${duration(now - incident.episodeStartedAt)}): ${plural(incident.failures, 'failure')} in all, ${fresh} since the last message at ${timestamp(incident.lastAlertAt ?? incident.episodeStartedAt)}.`,
      ];
    case 'resolved':
      return [
        `Resolved at ${timestamp(now)}: no failure since ${timestamp(incident.lastFailureAt)}${input.resolution ? `, and ${input.resolution}` : ''}.`,
        `It lasted ${duration(incident.lastFailureAt - incident.episodeStartedAt)} (since ${since}): ${plural(incident.failures, 'failure')} in all, ${plural(incident.alertsSent, 'message')} sent.`,
      ];
  }
}

const MEMBER_LINES_MAX = 50;

function affectedLines(incident: Incident): string[] {
  const lines = incident.members.slice(0, MEMBER_LINES_MAX).map((member) => {
    const label = groupLabel(member.group);
    return `- ${label}: ${plural(member.failures, 'failure')} since ${clock(member.firstFailureAt)}, last at ${clock(member.lastFailureAt)}`;
  });
  const more = incident.members.length - MEMBER_LINES_MAX;
  return more > 0 ? [...lines, `- and ${more} more`] : lines;
}

/** Every format of one message of a problem: email text, SMS line, JSON for machines, chat card. */
export function composeMessage(input: MessageInput): Notification {
  const { incident, kind, now } = input;
  const status: AlertStatus = kind === 'resolved' ? 'resolved' : 'firing';
  const dedupKey = dedupKeyOf(incident.pk);
  const subject = problemSubject(incident);
  const anyService = incident.members.some((member) => member.group.startsWith('service:'));
  const severity = severityOf(incident.category, anyService ? 'service:' : 'family:', status);
  const latest = incident.members.reduce<IncidentMember | undefined>(
    (best, member) => (member.detail && (!best || member.lastFailureAt > best.lastFailureAt) ? member : best),
    undefined,
  );
  const affected = affectedLabel(incident.members);
  const title = titleOf(incident);
  const headline =
    status === 'resolved'
      ? `RESOLVED: ${affected} in cluster ${incident.cluster} ${incident.members.length === 1 ? 'starts' : 'start'} tasks again (${title}${incident.causeLabel ? `, ${incident.causeLabel}` : ''}).`
      : `${kind === 'repeat' ? 'STILL FIRING' : kind === 'recurred' ? 'FIRING AGAIN' : 'FIRING'}: ${affected} in cluster ${incident.cluster} failed to start tasks: ${title}${incident.causeLabel ? ` (${incident.causeLabel})` : ''}.`;
  const next =
    status === 'firing' && input.nextDueAt !== undefined
      ? [
          `Next message for this problem no sooner than ${timestamp(input.nextDueAt)}, unless it is resolved first.`,
        ]
      : [];
  const text = [
    headline,
    '',
    ...statusLines(input),
    ...next,
    `Problem key: ${dedupKey}`,
    '',
    `AFFECTED (${affected})`,
    indent(affectedLines(incident).join('\n')),
    ...(status === 'firing' && latest?.detail
      ? ['', `LATEST FAILURE (${groupLabel(latest.group)})`, '', latest.detail.text]
      : []),
  ].join('\n');

  const latestData = latest?.detail?.data ?? {};
  const data = {
    schema: 'ecs-autopilot.failed-start/v2',
    source: ALERT_SOURCE,
    status,
    kind,
    severity,
    dedupKey,
    subject,
    cluster: incident.cluster,
    clusterArn: incident.clusterArn,
    category: incident.category,
    title,
    cause: { key: incident.causeKey, ...(incident.causeLabel ? { label: incident.causeLabel } : {}) },
    ...(incident.members.length === 1 && incident.members[0]?.group.startsWith('service:')
      ? { service: groupParts(incident.members[0].group).name }
      : {}),
    episode: incident.episode,
    since: new Date(incident.episodeStartedAt).toISOString(),
    lastFailureAt: new Date(incident.lastFailureAt).toISOString(),
    failures: incident.failures,
    newSinceLastMessage: incident.failures - incident.notifiedFailures,
    messagesSent: incident.alertsSent,
    ...(incident.lastAlertAt !== undefined
      ? { lastMessageAt: new Date(incident.lastAlertAt).toISOString() }
      : {}),
    ...(incident.recurredAfter !== undefined
      ? { recurredAfter: new Date(incident.recurredAfter).toISOString() }
      : {}),
    ...(status === 'resolved'
      ? { resolvedAt: new Date(now).toISOString(), resolution: input.resolution }
      : {}),
    ...(input.nextDueAt !== undefined && status === 'firing'
      ? { nextMessageNoSoonerThan: new Date(input.nextDueAt).toISOString() }
      : {}),
    affected: incident.members.map((member) => ({
      group: member.group,
      family: member.family,
      failures: member.failures,
      firstFailureAt: new Date(member.firstFailureAt).toISOString(),
      lastFailureAt: new Date(member.lastFailureAt).toISOString(),
      lastTaskArn: member.lastTaskArn,
    })),
    latest: latestData,
  };

  const smsHead = `${status === 'resolved' ? 'RESOLVED' : kind === 'repeat' ? 'STILL FIRING' : 'FIRING'} ${incident.cluster}: ${affected} ${status === 'resolved' ? 'ok again' : 'failing'}: ${title}`;
  const smsTail =
    status === 'resolved'
      ? `. ${incident.failures} failures ${clock(incident.episodeStartedAt)}-${clock(incident.lastFailureAt)}`
      : `. ${incident.failures} since ${clock(incident.episodeStartedAt)}`;
  const sms = toSubject(shortSubject(smsHead, smsTail).slice(0, SMS_MAX)).slice(0, SMS_MAX);

  const remedy = typeof latestData.remedy === 'string' ? latestData.remedy : undefined;
  const docsUrl = typeof latestData.docsUrl === 'string' ? latestData.docsUrl : undefined;
  const links = (latestData.links ?? {}) as { task?: string; service?: string };
  const chat = {
    version: '1.0',
    source: 'custom',
    id: `${dedupKey}-${incident.episode}-${kind}-${incident.alertsSent + 1}`,
    content: {
      textType: 'client-markdown',
      title: cut(
        `${status === 'resolved' ? ':white_check_mark:' : ':rotating_light:'} ${headline}`,
        CHAT_TITLE_MAX,
      ),
      description: cut(
        [
          ...statusLines(input),
          ...next,
          '',
          `*Affected* (${affected}):`,
          ...affectedLines(incident),
          ...(status === 'firing' && typeof latestData.summary === 'string'
            ? [
                '',
                `*What failed:* ${latestData.summary}`,
                ...(typeof latestData.cause === 'string' ? [`*Why:* ${latestData.cause}`] : []),
              ]
            : []),
        ].join('\n'),
        CHAT_DESCRIPTION_MAX,
      ),
      ...(status === 'firing'
        ? {
            nextSteps: [
              ...(remedy ? [remedy] : []),
              ...(links.service ? [`Service: ${links.service}`] : links.task ? [`Task: ${links.task}`] : []),
              ...(docsUrl ? [`How to fix: ${docsUrl}`] : []),
            ],
          }
        : {}),
      keywords: [incident.cluster, incident.category, severity, status].map((word) => cut(word, 64)),
    },
    metadata: {
      threadId: dedupKey,
      summary: sms,
      eventType: status === 'resolved' ? 'FailedStartResolved' : 'FailedStart',
      relatedResources: incident.members.slice(0, 10).map((member) => member.lastTaskArn),
      additionalContext: { cluster: incident.cluster, category: incident.category, severity, status },
    },
  };

  const attributes = {
    cluster: incident.cluster,
    category: incident.category,
    severity,
    status,
    source: ALERT_SOURCE,
  };
  return redactDeep({ subject, text, data, attributes, sms, chat, dedupKey });
}
