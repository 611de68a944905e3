import type { CapacityRequest } from '../../schedule/retry';
import type { ItemKey } from '../keys';
import { jobsTable } from './table';

/**
 * A run's request for capacity (pk `capacity#<cluster>`, key built by shared/schedule/retry.ts from
 * ../keys.ts), read by scale-capacity (../capacity.ts readCapacityRequests). Deleted once the run starts
 * or ends; its TTL is the run's starting deadline.
 */
export async function putCapacityRequest(table: string, request: CapacityRequest): Promise<void> {
  await jobsTable(table).put({ Item: { ...request } });
}

export async function deleteCapacityRequest(table: string, key: ItemKey): Promise<void> {
  await jobsTable(table).delete({ Key: key });
}
