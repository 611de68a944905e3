// Test support for the handler's unit tests: ECS and SNS answered by aws-sdk-client-mock from a small
// in-memory cluster, the state table on dynalite (real conditional writes).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ConflictException,
  DescribeClustersCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  type Failure,
  ListTasksCommand,
  RunTaskCommand,
  type RunTaskCommandInput,
  StopTaskCommand,
  type Task,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';

export const TABLE = 'ecs-autopilot-state';
export const TOPIC = 'arn:aws:sns:us-east-1:123456789012:ecs-autopilot-alerts';
export const CLUSTER_ARN = 'arn:aws:ecs:us-east-1:123456789012:cluster/web';
export const DUE = '2025-01-15T03:00:00Z';
export const DUE_MS = Date.parse(DUE);

export const ecsMock = mockClient(ECSClient);
export const snsMock = mockClient(SNSClient);
export const eventbridgeMock = mockClient(EventBridgeClient);

export const BASE_ENV = {
  STATE_TABLE: TABLE,
  ALERT_TOPIC_ARN: TOPIC,
  DRY_RUN: 'false',
  DEFAULT_CLUSTER: 'web',
  RETRY_INITIAL_DELAY_SECONDS: '10',
  RETRY_MAX_DELAY_SECONDS: '60',
  // Every variable a test may change, so the next test starts from the defaults again.
  RUN_HISTORY: '20',
  INVALID_JOB_REALERT_SECONDS: '86400',
};

export const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(import.meta.dirname, '../../events/run-scheduled-task', name), 'utf8'));

/** The sample Scheduler invocation with job fields replaced and a due time. */
export function invocation(job: Record<string, unknown> = {}, due = DUE): Record<string, unknown> {
  const base = fixture('scheduler-invocation.json') as { job: Record<string, unknown> };
  return { ...base, job: { ...base.job, ...job }, scheduledTime: due };
}

export { startStateTable } from './state-table';

export const REPORT_7: TaskDefinition = {
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/report:7',
  family: 'report',
  revision: 7,
  status: 'ACTIVE',
  networkMode: 'bridge',
  cpu: '256',
  memory: '512',
  compatibilities: ['EC2'],
  containerDefinitions: [
    { name: 'report', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/report:3.0.1', essential: true },
  ],
};

/** What RunTask answers next: place the tasks, fail placement with reasons, or throw. */
export type RunTaskAnswer = 'place' | { reasons: string[]; place?: number } | Error;

/**
 * A small ECS: tasks started by RunTask (clientToken semantics included), listed by family and desired
 * status, described, stopped. Enough for the handler's observe and act steps.
 */
export class FakeEcs {
  tasks = new Map<string, Task>();
  answers: RunTaskAnswer[] = [];
  runTaskInputs: RunTaskCommandInput[] = [];
  clusterDefaultStrategy = [{ capacityProvider: 'web-asg-cp', weight: 1, base: 0 }];
  private tokens = new Map<string, { fingerprint: string; taskArns: string[]; failures: Failure[] }>();
  private counter = 0;

  install(): void {
    ecsMock.on(DescribeTaskDefinitionCommand).callsFake(() => ({ taskDefinition: REPORT_7 }));
    ecsMock.on(DescribeClustersCommand).callsFake(() => ({
      clusters: [
        {
          clusterArn: CLUSTER_ARN,
          clusterName: 'web',
          defaultCapacityProviderStrategy: this.clusterDefaultStrategy,
        },
      ],
      failures: [],
    }));
    ecsMock.on(RunTaskCommand).callsFake((input: RunTaskCommandInput) => this.runTask(input));
    ecsMock.on(ListTasksCommand).callsFake((input) => ({
      taskArns: [...this.tasks.values()]
        .filter((task) => !input.family || task.group === `family:${input.family}`)
        .filter((task) => task.desiredStatus === (input.desiredStatus ?? 'RUNNING'))
        .map((task) => task.taskArn),
    }));
    ecsMock.on(DescribeTasksCommand).callsFake((input) => ({
      tasks: (input.tasks ?? []).flatMap((arn: string) => (this.tasks.has(arn) ? [this.tasks.get(arn)] : [])),
      failures: (input.tasks ?? [])
        .filter((arn: string) => !this.tasks.has(arn))
        .map((arn: string) => ({ arn, reason: 'MISSING' })),
    }));
    ecsMock.on(StopTaskCommand).callsFake((input) => {
      const task = this.tasks.get(input.task);
      if (!task) throw new Error(`no task ${input.task}`);
      Object.assign(task, {
        desiredStatus: 'STOPPED',
        stoppedReason: input.reason,
        stopCode: 'UserInitiated',
      });
      return { task };
    });
  }

  private runTask(input: RunTaskCommandInput) {
    this.runTaskInputs.push(input);
    const { clientToken, ...params } = input;
    const fingerprint = JSON.stringify(params);
    const known = clientToken ? this.tokens.get(clientToken) : undefined;
    if (known) {
      if (known.fingerprint !== fingerprint) {
        throw new ConflictException({
          message: 'The clientToken was used with different parameters',
          $metadata: {},
          resourceIds: known.taskArns,
        });
      }
      return { tasks: known.taskArns.map((arn) => this.tasks.get(arn)), failures: known.failures };
    }
    const answer = this.answers.shift() ?? 'place';
    if (answer instanceof Error) throw answer;
    const count = input.count ?? 1;
    const placed = answer === 'place' ? count : (answer.place ?? 0);
    const tasks = Array.from({ length: placed }, () => this.start(input));
    const failures: Failure[] =
      answer === 'place'
        ? []
        : Array.from({ length: count - placed }, (_, index) => ({
            arn: `arn:ci/${index}`,
            reason: answer.reasons[index % answer.reasons.length],
          }));
    if (clientToken)
      this.tokens.set(clientToken, {
        fingerprint,
        taskArns: tasks.map((task) => task.taskArn as string),
        failures,
      });
    return { tasks, failures };
  }

  /** A task as RunTask or a person would have started it. */
  start(
    input: Pick<RunTaskCommandInput, 'startedBy' | 'tags' | 'taskDefinition'>,
    createdAt = Date.now(),
  ): Task {
    const id = `${(++this.counter).toString(16).padStart(8, '0')}aaaabbbbccccddddeeeeffff`;
    const task: Task = {
      taskArn: `arn:aws:ecs:us-east-1:123456789012:task/web/${id}`,
      clusterArn: CLUSTER_ARN,
      taskDefinitionArn: REPORT_7.taskDefinitionArn,
      group: 'family:report',
      startedBy: input.startedBy,
      tags: input.tags,
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      createdAt: new Date(createdAt),
      containers: [{ name: 'report', lastStatus: 'PENDING' }],
    };
    this.tasks.set(task.taskArn as string, task);
    return task;
  }

  /** Marks a task RUNNING and returns the event ECS would send. */
  running(taskArn: string, at = Date.now()): Record<string, unknown> {
    const task = this.require(taskArn);
    Object.assign(task, { lastStatus: 'RUNNING', startedAt: new Date(at) });
    return this.event(task, 3);
  }

  /** Stops a task with an exit code and returns the event ECS would send. */
  stopped(
    taskArn: string,
    exitCode: number,
    at = Date.now(),
    stopCode = 'EssentialContainerExited',
  ): Record<string, unknown> {
    const task = this.require(taskArn);
    Object.assign(task, {
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      stopCode: task.stopCode ?? stopCode,
      stoppedReason: task.stoppedReason ?? 'Essential container in task exited',
      stoppedAt: new Date(at),
      startedAt: task.startedAt ?? new Date(at - 60_000),
      containers: [{ name: 'report', lastStatus: 'STOPPED', exitCode }],
    });
    return this.event(task, 6);
  }

  private require(taskArn: string): Task {
    const task = this.tasks.get(taskArn);
    if (!task) throw new Error(`no task ${taskArn}`);
    return task;
  }

  private event(task: Task, version: number): Record<string, unknown> {
    const iso = (date: Date | undefined) => date?.toISOString();
    return {
      version: '0',
      id: `event-${task.taskArn}-${version}`,
      'detail-type': 'ECS Task State Change',
      source: 'aws.ecs',
      account: '123456789012',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [task.taskArn],
      detail: {
        ...task,
        createdAt: iso(task.createdAt),
        startedAt: iso(task.startedAt),
        stoppedAt: iso(task.stoppedAt),
        version,
      },
    };
  }

  runningTasks(): Task[] {
    return [...this.tasks.values()].filter((task) => task.desiredStatus === 'RUNNING');
  }
}

/** SNS publications, as recipients would read them. */
export function publications(): { subject: string; text: string; data: Record<string, unknown> }[] {
  return snsMock.commandCalls(PublishCommand).map((call) => {
    const message = JSON.parse(call.args[0].input.Message ?? '{}') as { default: string; lambda: string };
    return {
      subject: call.args[0].input.Subject ?? '',
      text: message.default,
      data: JSON.parse(message.lambda),
    };
  });
}

export function lambdaContext(
  timeoutMs = 300_000,
  requestId = `req-${Math.random().toString(36).slice(2)}`,
): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'run-scheduled-task',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:run-scheduled-task',
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/run-scheduled-task',
    logStreamName: `2025/01/15/[$LATEST]${requestId}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
