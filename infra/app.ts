// The example app: one stack holding the EcsAutopilot construct, configured from context values, checked
// by cdk-nag (AwsSolutions + Serverless) during synthesis. Runs offline:
//   npm run synth                                   # the sample universe (cluster web, group web-asg)
//   npx cdk synth --app "npx tsx infra/app.ts" -c clusters=web,batch -c autoScalingGroups=web-asg=web
import { readFileSync } from 'node:fs';
import { App, CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import { ScheduleExpression, TimeWindow } from 'aws-cdk-lib/aws-scheduler';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { EcsAutopilot, pascal } from './ecs-autopilot';
import type { EcsAutopilotProps, JobConfig } from './props';

/** A context value given as `a,b` on the command line or as a JSON array in cdk.json. */
function listContext(scope: Construct, key: string, fallback: string[]): string[] {
  const value: unknown = scope.node.tryGetContext(key);
  if (value === undefined) return fallback;
  if (Array.isArray(value)) return value.map(String);
  return String(value)
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** `name=value` pairs; a bare `name` takes the fallback value. */
function pairs(items: string[], fallback: string): [string, string][] {
  return items.map((item) => {
    const [name, value] = item.split('=');
    return [name.trim(), value?.trim() || fallback];
  });
}

/** The sample universe's job: report:7 every night, never two at once, stopped after an hour. */
export function sampleJob(cluster: string): JobConfig['job'] {
  return {
    name: 'nightly-report',
    cluster,
    taskDefinition: 'report:7',
    capacityProviderStrategy: [{ capacityProvider: 'web-asg-cp', weight: 1 }],
    concurrencyPolicy: 'Forbid',
    startingDeadlineSeconds: 900,
    activeDeadlineSeconds: 3600,
  };
}

/** Jobs from a JSON file (`-c jobsFile=jobs.json`): `[{ "job": {...}, "cron": "0 2 * * ? *", "timeZone": "UTC", "flexibleWindowMinutes": 15 }]`. */
function jobsFrom(file: string | undefined, defaultCluster: string): JobConfig[] {
  type JobFileEntry = {
    job: JobConfig['job'];
    cron?: string;
    rate?: string;
    timeZone?: string;
    flexibleWindowMinutes?: number;
  };
  const entries: JobFileEntry[] = file
    ? JSON.parse(readFileSync(file, 'utf8'))
    : [
        {
          job: sampleJob(defaultCluster),
          cron: '0 2 * * ? *',
          timeZone: 'UTC',
          flexibleWindowMinutes: 5,
        },
      ];
  return entries.map((entry) => ({
    job: entry.job,
    schedule: entry.rate
      ? ScheduleExpression.expression(`rate(${entry.rate})`)
      : ScheduleExpression.expression(`cron(${entry.cron})`, timeZone(entry.timeZone)),
    timeWindow: entry.flexibleWindowMinutes
      ? TimeWindow.flexible(Duration.minutes(entry.flexibleWindowMinutes))
      : TimeWindow.off(),
  }));
}

function timeZone(name: string | undefined) {
  return name ? { timezoneName: name } : undefined;
}

export function exampleProps(scope: Construct): EcsAutopilotProps {
  const clusters = listContext(scope, 'clusters', ['web']);
  const [defaultCluster] = clusters;
  const groups = pairs(listContext(scope, 'autoScalingGroups', ['web-asg']), defaultCluster);
  const providers = pairs(
    listContext(scope, 'capacityProviders', ['web-asg-cp=web-asg']),
    groups[0]?.[0] ?? '',
  );
  const clusterOfGroup = new Map(groups);
  const chatTopicArn: unknown = scope.node.tryGetContext('chatTopicArn');
  return {
    clusters,
    autoScalingGroups: groups.map(([autoScalingGroupName, cluster]) => ({ autoScalingGroupName, cluster })),
    capacityProviders: providers.map(([name, autoScalingGroupName]) => ({
      name,
      autoScalingGroupName,
      cluster: clusterOfGroup.get(autoScalingGroupName) ?? defaultCluster,
    })),
    alerts: {
      emails: listContext(scope, 'alertEmails', []),
      ...(chatTopicArn ? { chatTopic: Topic.fromTopicArn(scope, 'ChatTopic', String(chatTopicArn)) } : {}),
    },
    jobs: jobsFrom(scope.node.tryGetContext('jobsFile'), defaultCluster),
    dryRun: String(scope.node.tryGetContext('dryRun') ?? 'false') === 'true',
  };
}

/** What an operator looks up after a deploy: the table, topics, queues and functions, by name. */
export function addOutputs(stack: Stack, autopilot: EcsAutopilot): void {
  const output = (id: string, value: string, description: string) =>
    new CfnOutput(stack, id, { value, description });
  output('StateTableName', autopilot.table.tableName, 'The state table');
  output(
    'AlertTopicArn',
    autopilot.topic.topicArn,
    'Alerts (failed starts, missed jobs) and, by default, alarms',
  );
  output(
    'UndeliveredEventsQueueUrl',
    autopilot.undeliveredEvents.queueUrl,
    'Events EventBridge could not deliver',
  );
  if (autopilot.undeliveredAlerts) {
    output(
      'UndeliveredAlertsQueueUrl',
      autopilot.undeliveredAlerts.queueUrl,
      'Alert emails SNS could not deliver',
    );
  }
  for (const [name, fn] of Object.entries(autopilot.functions)) {
    output(`${pascal(name)}FunctionName`, fn.functionName, `The ${name} function`);
  }
  for (const [name, queue] of Object.entries(autopilot.failedInvocations)) {
    output(
      `${pascal(name)}FailuresQueueUrl`,
      queue.queueUrl,
      `Invocations of ${name} that failed every attempt`,
    );
  }
}

/** The example stack; `nag: false` leaves cdk-nag out (tests that check other things). */
export function buildApp(app: App, { nag = true } = {}): Stack {
  const account = app.node.tryGetContext('account');
  const region = app.node.tryGetContext('region');
  const stack = new Stack(app, String(app.node.tryGetContext('stackName') ?? 'EcsAutopilot'), {
    description: 'ecs-autopilot: event-driven automation for ECS on EC2 Auto Scaling groups',
    ...(account || region ? { env: { account, region } } : {}),
  });
  addOutputs(stack, new EcsAutopilot(stack, 'EcsAutopilot', exampleProps(stack)));
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return stack;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // cdk.out like the CDK CLI (which passes its own through CDK_OUTDIR).
  const app = new App({ outdir: process.env.CDK_OUTDIR ?? 'cdk.out' });
  buildApp(app);
  try {
    const assembly = app.synth();
    console.log(
      `Synthesized ${assembly.stacks.map((stack) => stack.stackName).join(', ')} to ${assembly.directory}`,
    );
    console.log('cdk-nag (AwsSolutions, Serverless): no unacknowledged findings.');
  } catch (error) {
    // The validation report (cdk-nag findings) has been printed above.
    console.error((error as Error).message);
    process.exit(1);
  }
}
