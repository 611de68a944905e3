import { CreateTopicCommand, PublishCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { localClients } from './clients';
import { type LocalAws, SAMPLE, startLocalAws } from './index';

let aws: LocalAws;
let sns: ReturnType<typeof localClients>['sns'];

beforeAll(async () => {
  aws = await startLocalAws({ seed: 'sample' });
  sns = localClients(aws.endpoint).sns;
});
beforeEach(() => aws.reset('sample'));
afterAll(() => aws.close());

describe('SNS', () => {
  it('records a JSON-structured publication and what each subscriber protocol receives', async () => {
    const message = JSON.stringify({
      default: 'Service api failed to start',
      sqs: '{"category":"image-pull"}',
    });
    const { MessageId } = await sns.send(
      new PublishCommand({
        TopicArn: SAMPLE.topicArn,
        Subject: 'ecs-autopilot: api failed to start (image-pull)',
        MessageStructure: 'json',
        Message: message,
        MessageAttributes: { category: { DataType: 'String', StringValue: 'image-pull' } },
      }),
    );
    const [publication] = aws.world.snsPublications(SAMPLE.topicArn);
    expect(publication?.messageId).toBe(MessageId);
    expect(publication?.textFor('email')).toBe('Service api failed to start');
    expect(publication?.textFor('sqs')).toBe('{"category":"image-pull"}');
    expect(publication?.messageAttributes).toEqual({ category: { dataType: 'String', value: 'image-pull' } });
    expect(publication?.publishedAt).toBe(aws.world.now());
  });

  it('rejects a subject over 100 characters or with a line break', async () => {
    for (const Subject of ['x'.repeat(101), 'two\nlines']) {
      await expect(
        sns.send(new PublishCommand({ TopicArn: SAMPLE.topicArn, Subject, Message: 'm' })),
      ).rejects.toMatchObject({
        name: 'InvalidParameterException',
        message: 'Invalid parameter: Subject',
      });
    }
    expect(aws.world.snsPublications()).toEqual([]);
  });

  it('rejects JSON message structure without a default entry, or not JSON at all', async () => {
    await expect(
      sns.send(
        new PublishCommand({ TopicArn: SAMPLE.topicArn, MessageStructure: 'json', Message: '{"email":"x"}' }),
      ),
    ).rejects.toThrow('Invalid parameter: Message Structure - No default entry in JSON message body');
    await expect(
      sns.send(
        new PublishCommand({ TopicArn: SAMPLE.topicArn, MessageStructure: 'json', Message: 'plain text' }),
      ),
    ).rejects.toThrow('JSON message body failed to parse');
  });

  it('answers NotFound for an unknown topic, and creates topics idempotently', async () => {
    const missing = 'arn:aws:sns:us-east-1:123456789012:nope';
    await expect(sns.send(new PublishCommand({ TopicArn: missing, Message: 'm' }))).rejects.toMatchObject({
      name: 'NotFoundException',
      message: 'Topic does not exist',
    });
    const first = await sns.send(new CreateTopicCommand({ Name: 'nope' }));
    const second = await sns.send(new CreateTopicCommand({ Name: 'nope' }));
    expect(first.TopicArn).toBe(missing);
    expect(second.TopicArn).toBe(missing);
  });
});
