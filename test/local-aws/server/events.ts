/** EventBridge (JSON 1.1, `AWSEvents.*`): PutEvents onto the default bus, as the world's own events. */
import { AwsApiError } from '../model/errors';
import type { World } from '../model/world';

export const EVENTS_TARGET_PREFIX = 'AWSEvents.';

/** PutEvents limits (EventBridge API reference): 1-10 entries, 256 KB per request. */
const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 262_144;

interface Entry {
  Source?: unknown;
  DetailType?: unknown;
  Detail?: unknown;
  Resources?: unknown;
  EventBusName?: unknown;
}

type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

function putOne(world: World, entry: Entry): EntryResult {
  const fail = (ErrorCode: string, ErrorMessage: string) => ({ ErrorCode, ErrorMessage });
  if (typeof entry.Source !== 'string' || entry.Source.length === 0 || entry.Source.length > 256)
    return fail('InvalidArgument', 'Parameter Source is not valid. Reason: Source is a required argument.');
  if (entry.Source.startsWith('aws.'))
    return fail('NotAuthorizedForSourceException', 'Not authorized for the source.');
  if (typeof entry.DetailType !== 'string' || entry.DetailType.length === 0 || entry.DetailType.length > 128)
    return fail(
      'InvalidArgument',
      'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
    );
  if (entry.EventBusName !== undefined && entry.EventBusName !== 'default')
    return fail('InvalidArgument', 'Only the default event bus exists on the local endpoint.');
  let detail: unknown;
  try {
    detail = JSON.parse(typeof entry.Detail === 'string' ? entry.Detail : '');
  } catch {
    return fail('MalformedDetail', 'Detail is malformed.');
  }
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail))
    return fail('MalformedDetail', 'Detail is malformed.');
  const resources = Array.isArray(entry.Resources) ? entry.Resources.map(String) : [];
  return {
    EventId: world.putEvent(entry.Source, entry.DetailType, resources, detail as Record<string, unknown>),
  };
}

export function handleEvents(world: World, operation: string, input: Record<string, unknown>): unknown {
  if (operation !== 'PutEvents')
    throw new AwsApiError('UnknownOperationException', `${operation} is not emulated by the local endpoint`);
  const entries = Array.isArray(input.Entries) ? (input.Entries as Entry[]) : [];
  if (entries.length < 1 || entries.length > MAX_ENTRIES)
    throw new AwsApiError('ValidationException', 'Entries must hold 1 to 10 items.');
  if (Buffer.byteLength(JSON.stringify(entries)) > MAX_REQUEST_BYTES)
    throw new AwsApiError(
      'ValidationException',
      'Total size of the entries in the request is over the limit.',
    );
  const results = entries.map((entry) => putOne(world, entry));
  return {
    FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length,
    Entries: results,
  };
}
