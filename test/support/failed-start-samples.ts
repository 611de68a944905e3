/**
 * The README's "One problem as each subscriber receives it" (functions/detect-failed-start/README.md),
 * generated from the real formatter: the sample event image-pull.json classified as the function does,
 * then its problem's first message, a repeat 16 minutes later and the resolved message, in every
 * subscriber's format. functions/detect-failed-start/readme.test.ts checks the README carries exactly
 * this; `npx tsx test/support/failed-start-samples.ts --write` rewrites it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { incidentPk } from '../../functions/detect-failed-start/incidents';
import { buildAlert, composeMessage, containerViews, signalsOf } from '../../shared/failed-start/alert';
import { classify } from '../../shared/failed-start/classify';
import { causeOf, type Incident, type MessageKind, repeatAfterMs } from '../../shared/failed-start/decide';
import { parseFailedStartEvent } from '../../shared/failed-start/events';

export const README = join(import.meta.dirname, '../../functions/detect-failed-start/README.md');
const START = '<!-- subscriber-samples:start -->';
const END = '<!-- subscriber-samples:end -->';
const WINDOW_SECONDS = 900;
const GROUP_WAIT_MS = 30_000;
const MINUTE = 60_000;

function sampleProblem() {
  const event = JSON.parse(
    readFileSync(join(import.meta.dirname, '../../events/detect-failed-start/image-pull.json'), 'utf8'),
  );
  const parsed = parseFailedStartEvent(event);
  if (parsed.kind !== 'task') throw new Error('image-pull.json is a task event');
  const task = parsed.task;
  // As the function does without the task definition at hand (no log link: an image never pulled).
  const containers = containerViews(task, undefined);
  const classification = classify(signalsOf(task, containers));
  const cause = causeOf(classification.category, classification.facts, task.group);
  const detail = buildAlert({ task, classification, containers });
  const failedAt = Date.parse(task.stoppedAt ?? '');
  const ref = {
    pk: incidentPk(task.clusterArn, classification.category, cause.key),
    cluster: task.cluster,
    clusterArn: task.clusterArn,
    category: classification.category,
    causeKey: cause.key,
    ...(cause.label ? { causeLabel: cause.label } : {}),
  };
  const member = (failures: number, lastFailureAt: number) => ({
    group: task.group,
    family: task.taskDefinition.split(':')[0] ?? task.taskDefinition,
    failures,
    firstFailureAt: failedAt,
    lastFailureAt,
    lastTaskArn: task.taskArn,
    detail,
  });
  return { ref, member, failedAt };
}

interface Sample {
  kind: MessageKind;
  message: ReturnType<typeof composeMessage>;
}

/** The three messages of the sample problem: first (after the grouping wait), a repeat, resolved. */
export function sampleMessages(): Sample[] {
  const { ref, member, failedAt } = sampleProblem();
  const firingAt = failedAt + GROUP_WAIT_MS;
  const first: Incident = {
    ...ref,
    episode: 1,
    state: 'pending',
    episodeStartedAt: failedAt,
    lastFailureAt: failedAt,
    failures: 1,
    totalFailures: 1,
    notifiedFailures: 0,
    alertsSent: 0,
    dueAt: firingAt,
    members: [member(1, failedAt)],
  };
  const firing = composeMessage({
    incident: first,
    kind: 'new',
    now: firingAt,
    nextDueAt: firingAt + repeatAfterMs(1, WINDOW_SECONDS),
  });
  // Failing on, one failure a minute: the repeat once the window has passed, 16 minutes in.
  const repeatAt = failedAt + 16 * MINUTE;
  const second: Incident = {
    ...first,
    state: 'firing',
    lastFailureAt: repeatAt,
    failures: 16,
    totalFailures: 16,
    notifiedFailures: 1,
    alertsSent: 1,
    lastAlertAt: firingAt,
    dueAt: firingAt + repeatAfterMs(1, WINDOW_SECONDS),
    subject: firing.subject,
    members: [member(16, repeatAt)],
  };
  const repeat = composeMessage({
    incident: second,
    kind: 'repeat',
    now: repeatAt,
    nextDueAt: repeatAt + repeatAfterMs(2, WINDOW_SECONDS),
  });
  // Fixed 24 minutes in; the pass after the quiet window finds the service at its desired count.
  const lastFailureAt = failedAt + 24 * MINUTE;
  const third: Incident = {
    ...second,
    lastFailureAt,
    failures: 19,
    totalFailures: 19,
    notifiedFailures: 16,
    alertsSent: 2,
    lastAlertAt: repeatAt,
    dueAt: repeatAt + repeatAfterMs(2, WINDOW_SECONDS),
    members: [member(19, lastFailureAt)],
  };
  const resolved = composeMessage({
    incident: third,
    kind: 'resolved',
    now: failedAt + 40 * MINUTE,
    resolution: 'service api runs its desired count',
  });
  return [
    { kind: 'new', message: firing },
    { kind: 'repeat', message: repeat },
    { kind: 'resolved', message: resolved },
  ];
}

const fence = (language: string, body: string) => `\`\`\`${language}\n${body}\n\`\`\``;
const json = (value: unknown) => JSON.stringify(value, null, 2);
const LABEL: Record<string, string> = { new: 'firing', repeat: 'repeat', resolved: 'resolved' };

/** The README block (markdown), between its markers. */
export function subscriberSamples(): string {
  const samples = sampleMessages();
  const parts: string[] = [];
  for (const { kind, message } of samples) {
    parts.push(
      `**Email, ${LABEL[kind]}:**`,
      '',
      fence('text', `Subject: ${message.subject}\n\n${message.text}`),
      '',
    );
  }
  parts.push(
    '**SMS** (firing, repeat, resolved):',
    '',
    fence('text', samples.map(({ message }) => message.sms).join('\n')),
    '',
  );
  for (const { kind, message } of samples) {
    // The latest failure's full facts are in every firing message; shown once, in the first.
    const data =
      kind === 'new'
        ? message.data
        : { ...message.data, latest: '… (the latest failure, as in the firing message)' };
    parts.push(
      `**HTTPS, Lambda, SQS, Firehose, email-json, ${LABEL[kind]}:**`,
      '',
      fence('json', json(data)),
      '',
    );
  }
  for (const { kind, message } of samples) {
    parts.push(`**AWS Chatbot** (chat topic), ${LABEL[kind]}:`, '', fence('json', json(message.chat)), '');
  }
  parts.push(
    '**Message attributes** (every publish, on both topics), firing, repeat and resolved:',
    '',
    fence('text', samples.map(({ message }) => JSON.stringify(message.attributes)).join('\n')),
  );
  return parts.join('\n');
}

/** The README's block as it is now. */
export function readmeSamples(readme = readFileSync(README, 'utf8')): string | undefined {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) return undefined;
  return readme.slice(start + START.length, end).trim();
}

if (process.argv.includes('--write')) {
  const readme = readFileSync(README, 'utf8');
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${README} has no ${START} … ${END} block`);
  writeFileSync(
    README,
    `${readme.slice(0, start + START.length)}\n${subscriberSamples()}\n${readme.slice(end)}`,
  );
}
