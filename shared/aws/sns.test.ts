import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alertMessage, publishAlert, SNS_MESSAGE_MAX_BYTES, SNS_SUBJECT_MAX, toSubject } from './sns';

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

  it('stays under 100 characters, as SNS asks ("less than 100 characters long")', () => {
    expect(toSubject('x'.repeat(200)).length).toBe(99);
    expect(toSubject('y'.repeat(100)).length).toBe(99);
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

it('carries the alert attributes as SNS message attributes, for subscription filter policies', async () => {
  const snsMock = mockClient(SNSClient);
  snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
  await publishAlert('arn:aws:sns:us-east-1:123456789012:alerts', {
    subject: 's',
    text: 'hello',
    data: {},
    attributes: { cluster: 'web', severity: 'critical', status: 'firing' },
  });
  expect(snsMock.commandCalls(PublishCommand)[0]?.args[0].input.MessageAttributes).toEqual({
    cluster: { DataType: 'String', StringValue: 'web' },
    severity: { DataType: 'String', StringValue: 'critical' },
    status: { DataType: 'String', StringValue: 'firing' },
  });
});

describe('alertMessage', () => {
  const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

  it('sends an alert that fits as it is', () => {
    const alert = { subject: 's', text: 'line\n'.repeat(1000), data: { reason: 'r'.repeat(10_000) } };
    const message = JSON.parse(alertMessage(alert));
    expect(message.default).toBe(alert.text);
    expect(JSON.parse(message.lambda)).toEqual(alert.data);
  });

  it('cuts an alert past 256 KiB until it fits, with a visible marker', () => {
    const huge = '\u0000é'.repeat(60_000);
    const alert = {
      subject: 's',
      text: `Why: ${huge}\nsecond line`,
      data: { reason: huge, containers: [{ reason: huge }, { reason: huge }] },
    };
    const text = alertMessage(alert);
    expect(bytes(text)).toBeLessThanOrEqual(SNS_MESSAGE_MAX_BYTES);
    const message = JSON.parse(text);
    expect(message.default).toMatch(/^Why: .*…\[cut, \d+ more characters\]\nsecond line$/s);
    expect(JSON.parse(message.sqs).containers[1].reason).toMatch(/…\[cut, \d+ more characters\]$/);
  });
});
