/** DynamoDB for the endpoint: dynalite in-process on its own port, plus what dynalite lacks. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';

export interface LocalDynamo {
  port: number;
  /** Answers operations dynalite does not implement; undefined lets the request through to dynalite. */
  shim(operation: string, input: Record<string, unknown>): unknown | undefined;
  /** The project's state table: pk (S), sk (S), TTL on `ttl`. */
  createStateTable(name: string): Promise<void>;
  /** Drops every table (a fresh world). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function startDynamo(): Promise<LocalDynamo> {
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  // dynalite keeps no TTL settings: they are remembered here (expiry is not enforced, as DynamoDB
  // itself may take up to 48 h; readers must check `ttl` themselves).
  const ttl = new Map<string, string>();

  return {
    port,
    shim(operation, input) {
      const table = typeof input.TableName === 'string' ? input.TableName : '';
      if (operation === 'UpdateTimeToLive') {
        const spec = input.TimeToLiveSpecification as
          | { AttributeName?: string; Enabled?: boolean }
          | undefined;
        if (spec?.Enabled && spec.AttributeName) ttl.set(table, spec.AttributeName);
        else ttl.delete(table);
        return { TimeToLiveSpecification: spec };
      }
      if (operation === 'DescribeTimeToLive' && ttl.has(table)) {
        return { TimeToLiveDescription: { TimeToLiveStatus: 'ENABLED', AttributeName: ttl.get(table) } };
      }
      return undefined;
    },
    async createStateTable(name) {
      await client.send(
        new CreateTableCommand({
          TableName: name,
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      // Likewise a new table turns ACTIVE on a timer; a DeleteTable before then is refused.
      for (let attempt = 0; attempt < 400; attempt++) {
        const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
        if (Table?.TableStatus === 'ACTIVE') break;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      ttl.set(name, 'ttl');
    },
    async reset() {
      const { TableNames = [] } = await client.send(new ListTablesCommand({}));
      for (const name of TableNames) await client.send(new DeleteTableCommand({ TableName: name }));
      // dynalite drops a table on a timer even with deleteTableMs 0: on a busy machine a CreateTable
      // right after would find it still DELETING (ResourceInUseException). Wait until it is gone.
      for (let attempt = 0; attempt < 400; attempt++) {
        const left = await client.send(new ListTablesCommand({}));
        if ((left.TableNames ?? []).length === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      ttl.clear();
    },
    async close() {
      client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}
