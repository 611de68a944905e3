import { batchWriteItems, deleteItem, getItem, putItem, queryItems, updateItem } from '../../aws/dynamodb';
import { dynamoTable } from '../table';

/** run-scheduled-task's view of the state table: the operations it calls (and is granted). */
export const jobsTable = (name: string) =>
  dynamoTable(name, {
    get: getItem,
    put: putItem,
    update: updateItem,
    delete: deleteItem,
    query: queryItems,
    batchWrite: batchWriteItems,
  });
