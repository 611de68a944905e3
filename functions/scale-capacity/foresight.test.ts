import { DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { readForeseenRuns } from './foresight';

const ecs = mockClient(ECSClient);
const ddb = mockClient(DynamoDBDocumentClient);

const NOW = Date.parse('2025-01-15T02:58:00.000Z');
const base = {
  table: 'state',
  cluster: 'web',
  capacityProvider: 'web-asg-cp',
  clusterDefault: [],
  anyInstance: true,
  now: NOW,
  horizonSeconds: 300,
};
const job = (name: string, extra: Record<string, unknown> = {}) => ({
  pk: 'job#*',
  sk: name,
  name,
  cluster: 'web',
  job: {
    name,
    cluster: 'web',
    taskDefinition: 'report:7',
    capacityProviderStrategy: [{ capacityProvider: 'web-asg-cp', weight: 1 }],
    schedule: 'cron(0 3 * * ? *)',
    count: 2,
    ...extra,
  },
});

beforeEach(() => {
  ecs.reset();
  ddb.reset();
  ecs.on(DescribeTaskDefinitionCommand).resolves({
    taskDefinition: {
      family: 'report',
      networkMode: 'bridge',
      containerDefinitions: [{ name: 'report', cpu: 1024, memory: 2048 }],
      placementConstraints: [{ type: 'memberOf', expression: 'attribute:stack == blue' }],
    },
  });
});

describe('scheduled jobs foreseen from the registry', () => {
  it("reads each job's next run: this cluster and provider, not suspended, due within the horizon", async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'job#*' } }).resolves({
      Items: [
        job('nightly'),
        job('elsewhere', { cluster: 'batch' }),
        job('other-provider', { capacityProviderStrategy: [{ capacityProvider: 'spot-cp', weight: 1 }] }),
        job('fargate', { capacityProviderStrategy: undefined, launchType: 'FARGATE' }),
        job('suspended', { suspend: true }),
        job('later', { schedule: 'cron(0 4 * * ? *)' }),
        { pk: 'job#*', sk: 'broken', name: 'broken', cluster: 'web', job: { name: 'broken' } },
      ],
    });
    const { foreseen, notes } = await readForeseenRuns(base);
    expect(notes).toEqual([]);
    expect(foreseen).toEqual([
      {
        source: 'job',
        job: 'nightly',
        dueAt: '2025-01-15T03:00:00Z',
        count: 2,
        shape: { cpu: 1024, memoryMiB: 2048, gpus: 0, hostPorts: { tcp: [], udp: [] }, enis: 0 },
        group: 'family:report',
        distinctInstance: false,
        memberOf: 'attribute:stack == blue',
        // Forbid by default (shared/schedule/job.ts); no earlier run active.
        concurrencyPolicy: 'Forbid',
        activeTasks: 0,
      },
    ]);
  });

  it("counts a Forbid or Replace job's active run tasks, not its finished or waiting runs", async () => {
    ddb
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'job#*' } })
      .resolves({ Items: [job('nightly', { concurrencyPolicy: 'Forbid' })] })
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'job#nightly', ':prefix': 'run#' } })
      .resolves({
        Items: [
          { sk: 'run#2025-01-14T03:00:00Z', status: 'STARTED', count: 2 },
          { sk: 'run#2025-01-13T03:00:00Z', status: 'SUCCEEDED', count: 2 },
          { sk: 'run#2025-01-14T04:00:00Z', status: 'PENDING', count: 2, waiting: true },
        ],
      });
    const { foreseen } = await readForeseenRuns(base);
    expect(foreseen.map((run) => [run.concurrencyPolicy, run.activeTasks])).toEqual([['Forbid', 2]]);
  });

  it('leaves a job whose task definition cannot be read out, with a note', async () => {
    ddb.on(QueryCommand).resolves({ Items: [job('nightly', { taskDefinition: 'gone:1' })] });
    ecs
      .on(DescribeTaskDefinitionCommand)
      .rejects(Object.assign(new Error('Unable to describe task definition.'), { name: 'ClientException' }));
    const { foreseen, notes } = await readForeseenRuns(base);
    expect(foreseen).toEqual([]);
    expect(notes.join()).toContain('job nightly: next run not foreseen');
  });
});
