/** The project's state table on dynalite (127.0.0.1), for tests that need real conditional writes. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { startDynamo } from '../local-aws/dynamodb';

export const STATE_TABLE = 'ecs-autopilot-state';

/**
 * Starts dynalite with the state table and points the SDK's DynamoDB endpoint at it
 * (AWS_ENDPOINT_URL_DYNAMODB, so set it before importing the code under test).
 */
export async function startStateTable(name = STATE_TABLE) {
  const dynamo = await startDynamo();
  const endpoint = `http://127.0.0.1:${dynamo.port}`;
  process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoint;
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint }));
  await dynamo.createStateTable(name);
  return {
    endpoint,
    /** A fresh, empty table. */
    async reset() {
      await dynamo.reset();
      await dynamo.createStateTable(name);
    },
    /** Every item of a partition by sort key, or of the whole table when no partition is given. */
    async items(pk?: string): Promise<Record<string, unknown>[]> {
      const { Items } = await documents.send(
        pk === undefined
          ? new ScanCommand({ TableName: name })
          : new QueryCommand({
              TableName: name,
              KeyConditionExpression: 'pk = :pk',
              ExpressionAttributeValues: { ':pk': pk },
            }),
      );
      return Items ?? [];
    },
    async close() {
      documents.destroy();
      await dynamo.close();
    },
  };
}
