import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { kindOf } from './errors';
import { putEvent } from './eventbridge';

const eventbridgeMock = mockClient(EventBridgeClient);
const event = { source: 'ecs-autopilot', detailType: 'Capacity Request', detail: { cluster: 'web' } };

describe('putEvent', () => {
  beforeEach(() => eventbridgeMock.reset());

  it('puts one entry on the default bus, the detail as JSON', async () => {
    eventbridgeMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    await expect(putEvent(event)).resolves.toBe('e-1');
    expect(eventbridgeMock).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: [
        {
          Source: 'ecs-autopilot',
          DetailType: 'Capacity Request',
          Detail: '{"cluster":"web"}',
          Resources: [],
        },
      ],
    });
  });

  it('raises an entry the bus dropped (PutEvents still answers 200), with its error code as the kind', async () => {
    eventbridgeMock.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }],
    });
    const error = await putEvent(event).catch((caught: unknown) => caught);
    expect(String(error)).toMatch(
      /events:PutEvents on default\/ecs-autopilot\/Capacity Request failed: ThrottlingException/,
    );
    expect(kindOf(error)).toBe('throttled');
  });
});
