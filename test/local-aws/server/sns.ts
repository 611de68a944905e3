/** SNS (Query protocol, Version 2010-03-31): topics and recorded publications. */
import { AwsApiError } from '../model/errors';
import type { World } from '../model/world';
import { list, type QueryParams, type QueryValue, str } from './query-protocol';

export const SNS_VERSION = '2010-03-31';
export const SNS_NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';

const invalidParameter = (message: string) => new AwsApiError('InvalidParameter', message);
const MAX_MESSAGE_BYTES = 262_144;

type Handler = (world: World, params: QueryParams) => unknown;

const handlers: Record<string, Handler> = {
  CreateTopic(world, params) {
    const name = str(params, 'Name');
    if (!name || !/^[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(name)) {
      throw invalidParameter('Invalid parameter: Topic Name');
    }
    return { TopicArn: world.createTopic(name).arn };
  },

  ListTopics(world) {
    return { Topics: [...world.topics.values()].map((topic) => ({ TopicArn: topic.arn })) };
  },

  Publish(world, params) {
    const topicArn = str(params, 'TopicArn') ?? str(params, 'TargetArn');
    if (!topicArn)
      throw invalidParameter(
        'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter',
      );
    if (!world.topics.has(topicArn)) throw new AwsApiError('NotFound', 'Topic does not exist', 404);
    const message = str(params, 'Message');
    if (message === undefined || message === '') {
      throw invalidParameter('Invalid parameter: Message too short');
    }
    if (Buffer.byteLength(message) > MAX_MESSAGE_BYTES) {
      throw invalidParameter('Invalid parameter: Message too long');
    }
    const subject = str(params, 'Subject');
    if (subject !== undefined) {
      // SNS: at most 100 printable ASCII characters, no line breaks, not empty.
      if (subject.length === 0 || subject.length > 100 || !/^[\x20-\x7e]+$/.test(subject)) {
        throw invalidParameter('Invalid parameter: Subject');
      }
    }
    const messageStructure = str(params, 'MessageStructure');
    if (messageStructure !== undefined && messageStructure !== 'json') {
      throw invalidParameter('Invalid parameter: MessageStructure');
    }
    if (messageStructure === 'json') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(message);
      } catch {
        throw invalidParameter('Invalid parameter: Message Structure - JSON message body failed to parse');
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw invalidParameter('Invalid parameter: Message Structure - JSON message body failed to parse');
      }
      if (typeof (parsed as Record<string, unknown>).default !== 'string') {
        throw invalidParameter(
          'Invalid parameter: Message Structure - No default entry in JSON message body',
        );
      }
    }
    const attributes: Record<string, { dataType: string; value?: string }> = {};
    for (const entry of list(params, 'MessageAttributes')) {
      const record = entry as { [key: string]: QueryValue };
      const value = record.Value as { [key: string]: QueryValue } | undefined;
      if (typeof record.Name !== 'string' || !value || typeof value.DataType !== 'string') {
        throw invalidParameter('Invalid parameter: MessageAttributes');
      }
      attributes[record.Name] = {
        dataType: value.DataType,
        value: typeof value.StringValue === 'string' ? value.StringValue : undefined,
      };
    }
    const publication = world.recordPublication({
      topicArn,
      subject,
      message,
      messageStructure,
      messageAttributes: attributes,
    });
    return { MessageId: publication.messageId };
  },
};

export function handleSns(world: World, action: string, params: QueryParams): unknown {
  const handler = handlers[action];
  if (!handler)
    throw new AwsApiError('InvalidAction', `The local endpoint does not implement sns:${action}.`);
  return handler(world, params);
}
