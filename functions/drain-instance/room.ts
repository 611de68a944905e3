import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamodb } from '../../shared/aws/dynamodb';
import { call } from '../../shared/aws/errors';
import { clusterName } from '../../shared/drain/cluster';
import type { RoomRequest } from '../../shared/drain/plan';

/**
 * How long a request for room lives without being written again: a blocked drain rewrites it every
 * pass, so it lapses within this once the drain is no longer blocked (scale-capacity skips expired items).
 */
export const ROOM_REQUEST_TTL_SECONDS = 10 * 60;

/**
 * Asks scale-capacity for room for a blocked drain's replacements, through the capacity requests it
 * already reads (pk `capacity#<cluster>`, sk `<capacityProvider>#<name>#<due>`, as run-scheduled-task
 * writes them: shared/capacity/state.ts). One item per service and leaving instance, overwritten each
 * pass; where scale-capacity is not deployed nobody reads it and it expires.
 */
export async function requestRoom(
  table: string,
  cluster: string,
  instanceId: string,
  request: RoomRequest,
  reasons: readonly string[],
  now: number,
): Promise<void> {
  const jobName = `drain-${request.service}`;
  const item = {
    pk: `capacity#${clusterName(cluster)}`,
    sk: `${request.capacityProvider}#${jobName}#${instanceId}`,
    capacityProvider: request.capacityProvider,
    jobName,
    due: instanceId,
    cpu: request.cpu,
    memoryMiB: request.memoryMiB,
    gpus: request.gpus,
    count: request.count,
    ...(request.taskDefinition ? { taskDefinition: request.taskDefinition } : {}),
    reasons: [...reasons],
    requestedBy: 'drain-instance',
    requestedAt: new Date(now).toISOString(),
    ttl: Math.ceil(now / 1000) + ROOM_REQUEST_TTL_SECONDS,
  };
  await call('dynamodb:PutItem', `${table}/${item.pk}`, () =>
    dynamodb.send(new PutCommand({ TableName: table, Item: item })),
  );
}
