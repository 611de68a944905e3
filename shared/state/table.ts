import type {
  DeleteCommandInput,
  PutCommandInput,
  QueryCommandInput,
  UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { BatchGetResult, BatchOptions, WriteRequest } from '../aws/dynamodb';
import type { AwsOperationError } from '../aws/errors';
import type { ItemKey } from './keys';

export type Item = Record<string, unknown>;
export type PutInput = Omit<PutCommandInput, 'TableName'> & { Item: Item & ItemKey };
export type UpdateInput = Omit<UpdateCommandInput, 'TableName'> & { Key: ItemKey };
export type DeleteInput = Omit<DeleteCommandInput, 'TableName'> & { Key: ItemKey };
export type QueryInput = Omit<QueryCommandInput, 'TableName'>;

/**
 * The port to the state table: what the stores and primitives need of it. Conditional writes throw the
 * SDK's ConditionalCheckFailedException (wrapped in an AwsOperationError) when their condition fails.
 */
export interface StateTable {
  readonly name: string;
  /** One item, by a consistent read. */
  get<T = Item>(key: ItemKey): Promise<T | undefined>;
  put(input: PutInput): Promise<void>;
  /** The attributes `ReturnValues` asks for, if it does. */
  update<T = Item>(input: UpdateInput): Promise<T | undefined>;
  delete(input: DeleteInput): Promise<void>;
  /** Every page, or only the first (`Limit` items) with `firstPageOnly`. */
  query<T = Item>(input: QueryInput, firstPageOnly?: boolean): Promise<T[]>;
  batchGet<T = Item>(keys: readonly Item[], options?: BatchOptions): Promise<BatchGetResult<T>>;
  batchWrite(
    requests: readonly WriteRequest[],
    options?: BatchOptions,
  ): Promise<{ unprocessed: WriteRequest[]; error?: AwsOperationError }>;
}

export type Operation = Exclude<keyof StateTable, 'name'>;
/** A table with only some operations: what a primitive or a store needs. */
export type TableWith<Op extends Operation> = Pick<StateTable, 'name' | Op>;

/** The operations of {@link StateTable} with the table's name as first argument (shared/aws/dynamodb.ts). */
export type TableOperations = {
  [Op in Operation]: (table: string, ...rest: Parameters<StateTable[Op]>) => ReturnType<StateTable[Op]>;
};

/**
 * The real table, bound to its name, with only the operations given (the helpers of
 * shared/aws/dynamodb.ts). Each store passes exactly the operations it calls: a function's bundle then
 * names only the IAM actions it calls, which test/infra/iam-from-code.test.ts holds equal to its grants.
 */
export function dynamoTable<Op extends Operation>(
  name: string,
  operations: Pick<TableOperations, Op>,
): TableWith<Op> {
  const table: Record<string, unknown> = { name };
  for (const [operation, run] of Object.entries(operations) as [string, (...args: unknown[]) => unknown][]) {
    table[operation] = (...rest: unknown[]) => run(name, ...rest);
  }
  // Built from `operations`, which hold exactly the Op keys.
  return table as TableWith<Op>;
}
