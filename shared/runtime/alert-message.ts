/**
 * An alert as SNS carries it, built without SNS: the message for every protocol, the subject within
 * SNS's limits. Pure, so alert builders (and the construct, through them) load no SDK client.
 */
import { cut } from './limits';

/** Publish: "Subjects must be ... less than 100 characters long" (SNS API reference). */
export const SNS_SUBJECT_MAX = 99;
/** SNS refuses a message over 256 KiB in UTF-8 (the JSON structure included). */
export const SNS_MESSAGE_MAX_BYTES = 262_144;

export interface Alert {
  /** One line; cut under SNS's 100-character limit. */
  subject: string;
  /** What a person reads first (email, SMS, chat). */
  text: string;
  /** The same alert for machines (SQS, Lambda, HTTP subscribers). */
  data: Record<string, unknown>;
  /** SNS message attributes (String), for subscription filter policies. */
  attributes?: Record<string, string>;
  /** One line for SMS subscribers (SNS sends at most 1,600 characters per SMS publish; one SMS is 160). */
  sms?: string;
}

/** SNS subjects: fewer than 100 printable ASCII characters, no line breaks. */
export function toSubject(subject: string): string {
  const clean = subject
    .replace(/[^\x20-\x7E]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return clean.length <= SNS_SUBJECT_MAX
    ? clean
    : `${clean.slice(0, SNS_SUBJECT_MAX - 1)}…`.replace('…', '~');
}

/**
 * One publish, a body per protocol (Publish, MessageStructure "json"): text for email, a line for SMS,
 * the JSON for queues, functions, web hooks and Firehose.
 */
function messageOf(text: string, data: unknown, sms?: string): string {
  const json = JSON.stringify(data);
  return JSON.stringify({
    default: text,
    email: text,
    ...(sms ? { sms } : {}),
    'email-json': json,
    sqs: json,
    lambda: json,
    http: json,
    https: json,
    firehose: json,
  });
}

/** Every string in a JSON value cut to `max` characters. */
function cutStrings(value: unknown, max: number): unknown {
  if (typeof value === 'string') return cut(value, max);
  if (Array.isArray(value)) return value.map((item) => cutStrings(item, max));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, cutStrings(item, max)]));
  }
  return value;
}

/**
 * The Publish message for an alert: text for people, JSON for machine protocols. Event text is cut
 * where it is parsed, so this is the last guard: an alert that would still pass SNS's size limit has its
 * lines and strings cut shorter and shorter until it fits, rather than being refused and lost.
 */
export function alertMessage(alert: Alert): string {
  const fits = (message: string) => Buffer.byteLength(message, 'utf8') <= SNS_MESSAGE_MAX_BYTES;
  const whole = messageOf(alert.text, alert.data, alert.sms);
  if (fits(whole)) return whole;
  for (const max of [4096, 1024, 256, 64]) {
    const text = alert.text
      .split('\n')
      .map((line) => cut(line, max))
      .join('\n');
    const message = messageOf(cut(text, max * 16), cutStrings(alert.data, max), alert.sms);
    if (fits(message)) return message;
  }
  return messageOf(cut(alert.text, 4096), { truncated: true, text: cut(alert.text, 4096) }, alert.sms);
}
