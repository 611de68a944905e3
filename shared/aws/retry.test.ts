// The real SDK stack (not a mock) against a loopback server: throttling is retried with backoff.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { clientConfig } from './client-config';

let server: Server;
let requests = 0;

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      requests += 1;
      response.setHeader('content-type', 'application/x-amz-json-1.1');
      if (requests <= 2) {
        response.statusCode = 400;
        response.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }));
      } else {
        response.end(JSON.stringify({ clusterArns: ['arn:aws:ecs:us-east-1:123456789012:cluster/web'] }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

it('retries throttled calls and succeeds', async () => {
  const { port } = server.address() as AddressInfo;
  const client = new ECSClient({ ...clientConfig, endpoint: `http://127.0.0.1:${port}` });
  const { clusterArns } = await client.send(new ListClustersCommand({}));
  expect(clusterArns).toEqual(['arn:aws:ecs:us-east-1:123456789012:cluster/web']);
  expect(requests).toBe(3);
});
