import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from './index';

let aws: LocalAws;
let eventbridge: EventBridgeClient;

beforeAll(async () => {
  aws = await startLocalAws({ seed: 'sample' });
  eventbridge = new EventBridgeClient({
    endpoint: aws.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});
beforeEach(() => aws.reset('sample'));
afterAll(() => aws.close());

describe('EventBridge', () => {
  it('puts events on the default bus, delivered with the world clock like its own', async () => {
    const { FailedEntryCount, Entries } = await eventbridge.send(
      new PutEventsCommand({
        Entries: [{ Source: 'ecs-autopilot', DetailType: 'Capacity Request', Detail: '{"cluster":"web"}' }],
      }),
    );
    expect(FailedEntryCount).toBe(0);
    const [event] = aws.world.takeEvents({ source: 'ecs-autopilot' });
    expect(event).toMatchObject({
      id: Entries?.[0]?.EventId,
      'detail-type': 'Capacity Request',
      account: aws.world.account,
      time: new Date(aws.world.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      detail: { cluster: 'web' },
    });
  });

  it('refuses, entry by entry, an AWS source and a detail that is not a JSON object', async () => {
    const { FailedEntryCount, Entries } = await eventbridge.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'aws.ecs', DetailType: 'ECS Task State Change', Detail: '{}' },
          { Source: 'ecs-autopilot', DetailType: 'Capacity Request', Detail: '[1]' },
          { Source: 'ecs-autopilot', DetailType: 'Capacity Request', Detail: '{}' },
        ],
      }),
    );
    expect(FailedEntryCount).toBe(2);
    expect(Entries?.map((entry) => entry.ErrorCode ?? 'ok')).toEqual([
      'NotAuthorizedForSourceException',
      'MalformedDetail',
      'ok',
    ]);
    expect(aws.world.takeEvents({ source: 'ecs-autopilot' })).toHaveLength(1);
  });
});
