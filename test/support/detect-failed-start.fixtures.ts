// Test support: ECS and SNS answered by aws-sdk-client-mock, the state table on dynalite (real
// conditional writes), and the sample events of events/detect-failed-start.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ContainerDefinition,
  DescribeTaskDefinitionCommand,
  ECSClient,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';

export const TABLE = 'ecs-autopilot-state';
export const TOPIC = 'arn:aws:sns:us-east-1:123456789012:ecs-autopilot-alerts';
export const ECR = '123456789012.dkr.ecr.us-east-1.amazonaws.com';

export const BASE_ENV: Record<string, string> = {
  STATE_TABLE: TABLE,
  ALERT_TOPIC_ARN: TOPIC,
  ALERT_WINDOW_SECONDS: '900',
  // Messages go at once here; the grouping wait has tests of its own.
  GROUP_WAIT_SECONDS: '0',
  DEFAULT_CLUSTER: 'web',
  DRY_RUN: 'false',
};

export const ecsMock = mockClient(ECSClient);
export const snsMock = mockClient(SNSClient);

const EVENTS_DIR = join(import.meta.dirname, '../../events/detect-failed-start');

export type SampleEvent = {
  id: string;
  time: string;
  detail: Record<string, unknown> & { taskArn: string; version: number };
} & Record<string, unknown>;

export const sampleEventNames = () =>
  readdirSync(EVENTS_DIR)
    .filter((name) => name.endsWith('.json'))
    .map((name) => name.replace(/\.json$/, ''))
    .sort();

export const sampleEvent = (name: string): SampleEvent =>
  JSON.parse(readFileSync(join(EVENTS_DIR, `${name}.json`), 'utf8')) as SampleEvent;

/** The same event for another task of the same service (a crash loop), or another version of it. */
export function anotherTask(event: SampleEvent, n: number, version = event.detail.version): SampleEvent {
  const copy = structuredClone(event);
  const taskArn = event.detail.taskArn.replace(/[0-9a-f]{8}$/, n.toString(16).padStart(8, '0'));
  copy.detail.taskArn = taskArn;
  copy.detail.version = version;
  copy.id = `${event.id.slice(0, -8)}${n.toString(16).padStart(8, '0')}`;
  copy.resources = [taskArn];
  return copy;
}

function awslogs(family: string, name: string, image: string): ContainerDefinition {
  return {
    name,
    image,
    essential: true,
    logConfiguration: {
      logDriver: 'awslogs',
      options: {
        'awslogs-group': `/ecs/${family}`,
        'awslogs-region': 'us-east-1',
        'awslogs-stream-prefix': 'ecs',
      },
    },
  };
}

export const TASK_DEFINITIONS: Record<string, TaskDefinition> = {
  'api:3': { family: 'api', revision: 3, containerDefinitions: [awslogs('api', 'api', `${ECR}/api:1.4.2`)] },
  'api:4': { family: 'api', revision: 4, containerDefinitions: [awslogs('api', 'api', `${ECR}/api:1.4.3`)] },
  'api:5': {
    family: 'api',
    revision: 5,
    containerDefinitions: [awslogs('api', 'api', `${ECR}/api:1.4.3-arm64`)],
  },
  'worker:5': {
    family: 'worker',
    revision: 5,
    containerDefinitions: [awslogs('worker', 'worker', `${ECR}/worker:2.0.1`)],
  },
  'report:7': {
    family: 'report',
    revision: 7,
    containerDefinitions: [awslogs('report', 'report', `${ECR}/report:7.0.0`)],
  },
};

/** ECS answers DescribeTaskDefinition from TASK_DEFINITIONS; SNS accepts every publish. */
export function mockAws() {
  ecsMock.reset();
  snsMock.reset();
  ecsMock.on(DescribeTaskDefinitionCommand).callsFake((input: { taskDefinition: string }) => {
    const revision = input.taskDefinition.split('/').pop() ?? '';
    const taskDefinition = TASK_DEFINITIONS[revision];
    if (!taskDefinition) throw new Error(`no task definition ${revision}`);
    return {
      taskDefinition: {
        ...taskDefinition,
        taskDefinitionArn: `arn:aws:ecs:us-east-1:123456789012:task-definition/${revision}`,
      },
    };
  });
  let published = 0;
  snsMock.on(PublishCommand).callsFake(() => ({ MessageId: `message-${++published}` }));
}

/** The alerts sent so far: subject, text and the JSON for machines. */
export function publishedAlerts() {
  return snsMock.commandCalls(PublishCommand).flatMap((call) => {
    const input = call.args[0].input;
    if (input.MessageStructure !== 'json') return []; // the chat topic's own format
    const message = JSON.parse(input.Message ?? '{}') as { default: string; email: string; sqs: string };
    return [
      {
        subject: input.Subject ?? '',
        text: message.email,
        data: JSON.parse(message.sqs) as Record<string, unknown>,
      },
    ];
  });
}

export { startStateTable } from '../../test/support/state-table';

export function lambdaContext(requestId: string, remainingMs = 30_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'detect-failed-start',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:detect-failed-start',
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/detect-failed-start',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
