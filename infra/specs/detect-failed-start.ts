import { Duration } from 'aws-cdk-lib';
import { reconcileSchedule, stoppedBeforeRunningPattern } from '../../functions/detect-failed-start/rules';
import {
  ANY_RESOURCE,
  commonEnvironment,
  forClusters,
  inClusters,
  list,
  publishAlerts,
  seconds,
  stateTable,
} from './common';
import type { FunctionSpec } from './types';

const ALERT_WINDOW_SECONDS = 900;
const GROUP_WAIT_SECONDS = 30;

export const detectFailedStart: FunctionSpec = {
  name: 'detect-failed-start',
  description: 'Explains ECS tasks that stopped before RUNNING and alerts once per problem',
  defaults: {
    memorySize: 256,
    // The reconcile pass reads every cluster's recently stopped tasks.
    timeout: Duration.minutes(2),
    retryAttempts: 2,
    maxEventAge: Duration.hours(1),
  },

  environment(ctx) {
    const settings = ctx.props.detectFailedStart ?? {};
    const chatTopic = ctx.props.alerts?.chatTopic;
    return {
      ...commonEnvironment(ctx),
      ALERT_TOPIC_ARN: ctx.topic.topicArn,
      ALERT_WINDOW_SECONDS: seconds(settings.alertWindow, ALERT_WINDOW_SECONDS),
      ALERT_ON_INTENTIONAL_STOPS: String(settings.alertOnIntentionalStops ?? false),
      ALERT_ON_HOST_INTERRUPTIONS: String(settings.alertOnHostInterruptions ?? false),
      GROUP_WAIT_SECONDS: seconds(settings.groupWait, GROUP_WAIT_SECONDS),
      ...(chatTopic ? { CHAT_TOPIC_ARN: chatTopic.topicArn } : {}),
      CLUSTERS: list(ctx.props.clusters),
      DEFAULT_CLUSTER: ctx.defaultCluster,
    };
  },

  permissions(ctx) {
    const { arns, props } = ctx;
    return [
      {
        actions: ['ecs:ListTasks'],
        resources: [ANY_RESOURCE],
        conditions: inClusters(ctx),
        why: 'Reconcile pass: list recently stopped tasks, so a lost event still ends in one alert. ListTasks takes `*`, narrowed by ecs:cluster.',
      },
      {
        actions: ['ecs:DescribeTasks'],
        resources: props.clusters.map((cluster) => arns.tasks(cluster)),
        why: 'Reconcile pass: read stopped tasks (reasons, containers). Task ids are only known at run time.',
      },
      {
        actions: ['ecs:DescribeServices'],
        resources: props.clusters.map((cluster) => arns.services(cluster)),
        why: 'Periodic pass: a problem is resolved only once its services run their desired count.',
      },
      {
        actions: ['ecs:DescribeTaskDefinition'],
        resources: [ANY_RESOURCE],
        why: "Find the failing container's image and awslogs stream for the alert. DescribeTaskDefinition supports no resource-level permissions.",
      },
      ...publishAlerts(ctx, 'Send one alert per problem (cluster, group, category) and window.'),
      ...(props.alerts?.chatTopic
        ? [
            {
              actions: ['sns:Publish'],
              resources: [props.alerts.chatTopic.topicArn],
              why: "Send each message also to the chat topic, in AWS Chatbot's custom-notification format.",
            },
          ]
        : []),
      stateTable(
        ctx,
        ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        ['failure#*'],
        'Per-task markers (duplicates never double count) and per-problem alert windows, with conditional writes.',
      ),
      stateTable(
        ctx,
        ['dynamodb:GetItem'],
        ['job#*'],
        "Read-only: run-scheduled-task's job registry, so a job's failed run is alerted by that function alone.",
      ),
    ];
  },

  triggers(ctx) {
    return [
      {
        id: 'TaskStopped',
        description: 'tasks stopped before running',
        eventPattern: forClusters(stoppedBeforeRunningPattern, ctx),
      },
      { id: 'Reconcile', description: 'reconcile pass', schedule: reconcileSchedule.expression },
    ];
  },
};
