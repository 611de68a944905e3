import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { clientConfig } from './client-config';
import { call } from './errors';

/** Built once per container; reused by every invocation. */
export const sns = new SNSClient(clientConfig);

export const SNS_SUBJECT_MAX = 100;

export interface Alert {
  /** One line; cut to SNS's 100-character limit. */
  subject: string;
  /** What a person reads first (email, SMS, chat). */
  text: string;
  /** The same alert for machines (SQS, Lambda, HTTP subscribers). */
  data: Record<string, unknown>;
}

/** SNS subjects: at most 100 printable ASCII characters, no line breaks. */
export function toSubject(subject: string): string {
  const clean = subject
    .replace(/[^\x20-\x7E]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return clean.length <= SNS_SUBJECT_MAX
    ? clean
    : `${clean.slice(0, SNS_SUBJECT_MAX - 1)}…`.replace('…', '~');
}

/** Publishes one alert, the text for people and JSON for machine protocols. Returns the message id. */
export async function publishAlert(topicArn: string, alert: Alert): Promise<string | undefined> {
  const json = JSON.stringify(alert.data);
  const { MessageId } = await call('sns:Publish', topicArn, () =>
    sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: toSubject(alert.subject),
        MessageStructure: 'json',
        Message: JSON.stringify({
          default: alert.text,
          email: alert.text,
          sqs: json,
          lambda: json,
          http: json,
          https: json,
        }),
      }),
    ),
  );
  return MessageId;
}
