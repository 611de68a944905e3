import { Duration } from 'aws-cdk-lib';
import { reconcileSchedule, taskStateChangePattern } from '../../functions/run-scheduled-task/rules';
import { REQUEST_SOURCE } from '../../shared/capacity/events';
import { JOB_TAG } from '../../shared/schedule/identity';
import { familyOf } from '../../shared/schedule/job';
import type { Permission } from '../permissions';
import {
  ANY_RESOURCE,
  commonEnvironment,
  forClusters,
  inClusters,
  publishAlerts,
  seconds,
  stateTable,
} from './common';
import type { FunctionSpec, SpecContext } from './types';

export const DEFAULT_STARTING_DEADLINE_SECONDS = 900;
const RETRY_MAX_ATTEMPTS = 30;

/** Task definition families RunTask may start: the construct's jobs plus any listed explicitly. */
export function jobFamilies(ctx: SpecContext): string[] {
  const families = [
    ...(ctx.props.jobs ?? []).map((job) => familyOf(job.job.taskDefinition)),
    ...(ctx.props.runScheduledTask?.taskDefinitionFamilies ?? []),
  ];
  return [...new Set(families)].sort();
}

function passRoles(ctx: SpecContext): string[] {
  const roles = [
    ...(ctx.props.jobs ?? []).flatMap((job) => job.passRoleArns ?? []),
    ...(ctx.props.runScheduledTask?.passRoleArns ?? []),
  ];
  return [...new Set(roles)].sort();
}

export const runScheduledTask: FunctionSpec = {
  name: 'run-scheduled-task',
  description: 'Runs scheduled standalone ECS tasks with job-scheduler semantics',
  defaults: {
    memorySize: 256,
    // Capacity failures are retried within the invocation while the starting deadline allows.
    timeout: Duration.minutes(5),
    retryAttempts: 2,
    maxEventAge: Duration.hours(1),
  },

  environment(ctx) {
    const settings = ctx.props.runScheduledTask ?? {};
    return {
      ...commonEnvironment(ctx),
      ALERT_TOPIC_ARN: ctx.topic.topicArn,
      DEFAULT_CLUSTER: ctx.defaultCluster,
      DEFAULT_STARTING_DEADLINE_SECONDS: seconds(
        settings.defaultStartingDeadline,
        DEFAULT_STARTING_DEADLINE_SECONDS,
      ),
      RETRY_MAX_ATTEMPTS: String(settings.retryMaxAttempts ?? RETRY_MAX_ATTEMPTS),
    };
  },

  permissions(ctx) {
    const { arns, props } = ctx;
    const clusters = props.clusters;
    const families = jobFamilies(ctx);
    const roles = passRoles(ctx);
    const runTask: Permission[] =
      families.length === 0
        ? []
        : [
            {
              actions: ['ecs:RunTask'],
              resources: families.map((family) => arns.taskDefinitionFamily(family)),
              conditions: inClusters(ctx),
              why: "Start the jobs' tasks: only their task definition families (any revision), only in the clusters.",
            },
          ];
    const passRole: Permission[] =
      roles.length === 0
        ? []
        : [
            {
              actions: ['iam:PassRole'],
              resources: roles,
              conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
              why: "RunTask hands the jobs' task and execution roles to ECS; only those roles, only to ECS tasks.",
            },
          ];
    return [
      ...runTask,
      ...passRole,
      {
        actions: ['ecs:TagResource'],
        resources: clusters.map((cluster) => arns.tasks(cluster)),
        conditions: { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
        why: 'RunTask tags each task with its job and due time; ECS authorizes tags on creation separately.',
      },
      {
        actions: ['ecs:ListTasks'],
        resources: [ANY_RESOURCE],
        conditions: inClusters(ctx),
        why: 'Find active runs of a job (by family and desired status). ListTasks takes `*`, narrowed by ecs:cluster.',
      },
      {
        actions: ['ecs:DescribeTasks'],
        resources: clusters.map((cluster) => arns.tasks(cluster)),
        why: 'Recognise runs by startedBy, read outcomes. Task ids are only known at run time.',
      },
      {
        actions: ['ecs:StopTask'],
        resources: clusters.map((cluster) => arns.tasks(cluster)),
        // RunTask tags every run with its job (shared/schedule/decide.ts): no other task can be stopped.
        conditions: { Null: { [`aws:ResourceTag/${JOB_TAG}`]: 'false' } },
        why: `Stop runs under Replace or past activeDeadlineSeconds: only tasks tagged ${JOB_TAG}, which RunTask puts on every run.`,
      },
      {
        actions: ['ecs:DescribeClusters'],
        resources: clusters.map((cluster) => arns.cluster(cluster)),
        why: "Read the cluster's default capacity provider strategy when a job names none.",
      },
      {
        actions: ['ecs:DescribeTaskDefinition'],
        resources: [ANY_RESOURCE],
        why: 'Check task size and essential containers of a job before running it. DescribeTaskDefinition supports no resource-level permissions.',
      },
      {
        actions: ['events:PutEvents'],
        resources: [arns.defaultEventBus()],
        conditions: { StringEquals: { 'events:source': REQUEST_SOURCE } },
        why: 'Announce a capacity request so scale-capacity acts within seconds; only on the default bus, only as its own source.',
      },
      ...publishAlerts(ctx, 'Alert once on an invalid job, a missed run, a failed run or a silent schedule.'),
      stateTable(
        ctx,
        [
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:Query',
          'dynamodb:BatchWriteItem',
        ],
        // Capacity requests live under exactly `capacity#<cluster>` (shared/state/keys.ts); cluster names
        // hold no `#`, so these keys leave out scale-capacity's own `capacity#<cluster>#...` markers.
        ['job#*', ...clusters.map((cluster) => `capacity#${cluster}`)],
        "Job registry, runs, outcomes and once-only alert markers (job#...), and capacity requests for scale-capacity (capacity#<cluster> exactly: not scale-capacity's idle, stall, type and launch markers).",
      ),
    ];
  },

  triggers(ctx) {
    return [
      {
        id: 'TaskStateChange',
        description: 'state changes of tasks it started',
        eventPattern: forClusters(taskStateChangePattern, ctx),
      },
      { id: 'Reconcile', description: reconcileSchedule.description, schedule: reconcileSchedule.expression },
    ];
  },
};
