import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { clientConfig } from './client-config';
import { AwsOperationError, call } from './errors';

/** Built once per container; reused by every invocation. */
export const eventbridge = new EventBridgeClient(clientConfig);

export interface BusEvent {
  source: string;
  detailType: string;
  detail: Record<string, unknown>;
  resources?: string[];
}

/**
 * Puts one event on the account's default bus. PutEvents answers 200 even when it drops an entry
 * (FailedEntryCount), so a dropped entry is raised as an error with its code, like a refused call.
 */
export async function putEvent(event: BusEvent): Promise<string | undefined> {
  const output = await call('events:PutEvents', `default/${event.source}/${event.detailType}`, () =>
    eventbridge.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: event.source,
            DetailType: event.detailType,
            Detail: JSON.stringify(event.detail),
            Resources: event.resources ?? [],
          },
        ],
      }),
    ),
  );
  const [entry] = output.Entries ?? [];
  if ((output.FailedEntryCount ?? 0) > 0 || entry?.ErrorCode) {
    const failure = Object.assign(new Error(entry?.ErrorMessage ?? 'entry not accepted'), {
      name: entry?.ErrorCode ?? 'FailedEntry',
    });
    throw new AwsOperationError('events:PutEvents', `default/${event.source}/${event.detailType}`, failure);
  }
  return entry?.EventId;
}
