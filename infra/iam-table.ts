// Prints the README's IAM table from what the construct grants (run: npx tsx infra/iam-table.ts).
// test/infra/readme.test.ts checks infra/README.md carries the same table.
import { App, type Stack } from 'aws-cdk-lib';
import { buildApp } from './app';
import type { EcsAutopilot } from './ecs-autopilot';
import { flattenReference } from './flatten';
import { FUNCTION_SPECS } from './specs';

/** Shared by every function: not in the specs because the function construct adds them. */
const COMMON_ROWS: [string, string, string][] = [
  [
    'logs:CreateLogStream, logs:PutLogEvents',
    'its own log group',
    'Write its logs (no AWSLambdaBasicExecutionRole).',
  ],
  [
    'sqs:SendMessage, sqs:GetQueueAttributes, sqs:GetQueueUrl',
    'its own failure queue',
    'Park an asynchronous invocation that failed every attempt (on-failure destination).',
  ],
];

function readable(stack: Stack, resource: string): string {
  const text = flattenReference(stack.resolve(resource));
  return text
    .replaceAll('<AWS::Partition>', 'aws')
    .replaceAll('<AWS::Region>', '<region>')
    .replaceAll('<AWS::AccountId>', '<account>')
    .replace(/^<\w*StateTable\w*\.Arn>$/, 'the state table')
    .replace(/^<\w*Alerts\w*>$/, 'the alert topic')
    .replace(/^<\w*AlertKey\w*\.Arn>$/, "the alert topic's key");
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function iamTable(): string {
  const app = new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = buildApp(app, { nag: false });
  const autopilot = stack.node.findChild('EcsAutopilot') as EcsAutopilot;
  const lines = ['| function | action | resource | why |', '|---|---|---|---|'];
  for (const spec of FUNCTION_SPECS) {
    for (const permission of autopilot.permissions[spec.name] ?? []) {
      const conditions = permission.conditions
        ? Object.entries(permission.conditions)
            .flatMap(([operator, keys]) =>
              Object.entries(keys).map(([key, value]) => {
                const values = (Array.isArray(value) ? value : [value]).map((item) =>
                  readable(stack, String(item)),
                );
                return `${key} ${operator.replace('ForAllValues:', '')} ${values.join(', ')}`;
              }),
            )
            .join('; ')
        : '';
      const resources = permission.resources
        .map((resource) => `\`${readable(stack, resource)}\``)
        .join('<br>');
      lines.push(
        `| ${spec.name} | ${permission.actions.map((action) => `\`${action}\``).join('<br>')} | ${resources}${conditions ? `<br>when \`${cell(conditions)}\`` : ''} | ${cell(permission.why)} |`,
      );
    }
  }
  const rows: [string, ...[string, string, string]][] = [
    ...COMMON_ROWS.map((row): [string, string, string, string] => ['every function', ...row]),
    [
      'job schedules (EventBridge Scheduler role)',
      'lambda:InvokeFunction, sqs:SendMessage',
      'run-scheduled-task (not its versions); the undelivered-events queue',
      'Invoke run-scheduled-task with the job at each due time; park an invocation it could not deliver.',
    ],
  ];
  for (const [who, actions, resource, why] of rows) {
    lines.push(
      `| ${who} | ${actions
        .split(', ')
        .map((action) => `\`${action}\``)
        .join('<br>')} | ${resource} | ${why} |`,
    );
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(iamTable());
