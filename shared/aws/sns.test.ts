import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { publishAlert, SNS_SUBJECT_MAX, toSubject } from './sns';

describe('toSubject', () => {
  it('always yields a valid SNS subject', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400, unit: 'binary' }), (text) => {
        const subject = toSubject(text);
        expect(subject.length).toBeLessThanOrEqual(SNS_SUBJECT_MAX);
        expect(subject).toMatch(/^[\x20-\x7E]*$/);
      }),
    );
  });

  it('keeps a short subject as it is', () => {
    expect(toSubject('ECS web/api: image pull failed')).toBe('ECS web/api: image pull failed');
  });
});

it('publishes text for people and JSON for machines', async () => {
  const snsMock = mockClient(SNSClient);
  snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
  await expect(
    publishAlert('arn:aws:sns:us-east-1:123456789012:alerts', {
      subject: 's',
      text: 'hello',
      data: { a: 1 },
    }),
  ).resolves.toBe('m-1');
  const input = snsMock.commandCalls(PublishCommand)[0]?.args[0].input;
  expect(input?.MessageStructure).toBe('json');
  const message = JSON.parse(input?.Message ?? '{}');
  expect(message.default).toBe('hello');
  expect(message.email).toBe('hello');
  expect(JSON.parse(message.sqs)).toEqual({ a: 1 });
});
