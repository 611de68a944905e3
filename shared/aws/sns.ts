import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { type Alert, alertMessage, toSubject } from '../runtime/alert-message';
import { cut } from '../runtime/limits';
import { clientConfig } from './client-config';
import { call } from './errors';

/** Built once per container; reused by every invocation. */
export const sns = new SNSClient(clientConfig);

export type { Alert } from '../runtime/alert-message';
export { alertMessage, SNS_MESSAGE_MAX_BYTES, SNS_SUBJECT_MAX, toSubject } from '../runtime/alert-message';

/** Attribute values are cut to 256 characters: filter policies match short values, and SNS bounds the message. */
function messageAttributes(attributes: Record<string, string>) {
  return Object.fromEntries(
    Object.entries(attributes)
      .filter(([, value]) => value !== '')
      .map(([name, value]) => [name, { DataType: 'String', StringValue: cut(value, 256) }]),
  );
}

/** Publishes one alert. Returns the message id. */
export async function publishAlert(topicArn: string, alert: Alert): Promise<string | undefined> {
  const { MessageId } = await call('sns:Publish', topicArn, () =>
    sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: toSubject(alert.subject),
        MessageStructure: 'json',
        Message: alertMessage(alert),
        ...(alert.attributes ? { MessageAttributes: messageAttributes(alert.attributes) } : {}),
      }),
    ),
  );
  return MessageId;
}

/**
 * Publishes one body as it is, to a topic whose subscribers all read the same format (AWS Chatbot's
 * custom notifications on a chat topic). Returns the message id.
 */
export async function publishRaw(
  topicArn: string,
  message: string,
  attributes?: Record<string, string>,
): Promise<string | undefined> {
  const { MessageId } = await call('sns:Publish', topicArn, () =>
    sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: message,
        ...(attributes ? { MessageAttributes: messageAttributes(attributes) } : {}),
      }),
    ),
  );
  return MessageId;
}
