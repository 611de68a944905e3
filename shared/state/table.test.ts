import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { deleteItem, getItem, putItem, queryItems, updateItem } from '../aws/dynamodb';
import { putOrRead, putUnlessExists, tryUpdate } from './primitives';
import { dynamoTable } from './table';

const TABLE = 'state';
const dynamoMock = mockClient(DynamoDBDocumentClient);
const key = { pk: 'test#1', sk: 'item' };

beforeEach(() => dynamoMock.reset());

describe('the real state table', () => {
  it('has only the operations a store gives it, each bound to the table', async () => {
    const table = dynamoTable(TABLE, { get: getItem, delete: deleteItem });
    expect(Object.keys(table).sort()).toEqual(['delete', 'get', 'name']);
    dynamoMock.on(GetCommand).resolves({ Item: { ...key, n: 1 } });
    expect(await table.get(key)).toEqual({ ...key, n: 1 });
    await table.delete({ Key: key });
    expect(dynamoMock.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: key,
      ConsistentRead: true,
    });
    expect(dynamoMock.commandCalls(DeleteCommand)[0]?.args[0].input).toEqual({ TableName: TABLE, Key: key });
  });

  it('reads every page of a query', async () => {
    const table = dynamoTable(TABLE, { query: queryItems });
    dynamoMock
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ n: 1 }], LastEvaluatedKey: key })
      .resolvesOnce({ Items: [{ n: 2 }] });
    expect(
      await table.query({ KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'p' } }),
    ).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('answers a failed condition as such, and the item it found', async () => {
    const table = dynamoTable(TABLE, { get: getItem, put: putItem, update: updateItem });
    const failed = new ConditionalCheckFailedException({
      message: 'The conditional request failed',
      $metadata: {},
      Item: { pk: { S: key.pk }, sk: { S: key.sk }, by: { S: 'first' } },
    });
    dynamoMock.on(PutCommand).rejects(failed);
    dynamoMock.on(UpdateCommand).rejects(failed);
    expect(await putUnlessExists(table, { ...key, by: 'second' })).toBe(false);
    expect(await putOrRead(table, { ...key, by: 'second' })).toEqual({
      written: false,
      current: { ...key, by: 'first' },
    });
    expect(dynamoMock.commandCalls(GetCommand)).toHaveLength(0);
    expect(await tryUpdate(table, key, { set: { n: 1 }, condition: 'attribute_exists(pk)' })).toBe(false);
  });

  it('lets any other failure through', async () => {
    const table = dynamoTable(TABLE, { put: putItem });
    dynamoMock.on(PutCommand).rejects(new Error('socket hang up'));
    await expect(putUnlessExists(table, key)).rejects.toThrow('socket hang up');
  });
});
