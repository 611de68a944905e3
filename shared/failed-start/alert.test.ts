import { describe, expect, it } from 'vitest';
import { SNS_SUBJECT_MAX } from '../aws/sns';
import { buildAlert, composeMessage, consoleLinks, containerViews, logLocation, signalsOf } from './alert';
import { classify } from './classify';
import type { Incident } from './decide';
import type { TaskSnapshot } from './events';

const ECR = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const TASK_ID = '0123456789abcdef0123456789abcdef';
const task = (fields: Partial<TaskSnapshot> = {}): TaskSnapshot => ({
  taskArn: `arn:aws:ecs:us-east-1:123456789012:task/web/${TASK_ID}`,
  taskId: TASK_ID,
  clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/web',
  cluster: 'web',
  region: 'us-east-1',
  version: 3,
  lastStatus: 'STOPPED',
  group: 'service:api',
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/api:3',
  taskDefinition: 'api:3',
  launchType: 'EC2',
  capacityProviderName: 'web-asg-cp',
  availabilityZone: 'us-east-1a',
  stoppedReason: 'Essential container in task exited',
  containers: [{ name: 'api', exitCode: 1 }, { name: 'log-router' }],
  ...fields,
});
const definition = {
  containerDefinitions: [
    {
      name: 'api',
      image: `${ECR}/api:1.4.2`,
      essential: true,
      logConfiguration: {
        logDriver: 'awslogs',
        options: {
          'awslogs-group': '/ecs/api',
          'awslogs-region': 'us-east-1',
          'awslogs-stream-prefix': 'ecs',
        },
      },
    },
    {
      name: 'log-router',
      image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable',
      essential: false,
    },
  ],
};
function alertFor(snapshot: TaskSnapshot) {
  const containers = containerViews(snapshot, definition);
  return buildAlert({
    task: snapshot,
    classification: classify(signalsOf(snapshot, containers)),
    containers,
  });
}

describe('links', () => {
  it('points at the task, the service and the task definition in the ECS console', () => {
    expect(consoleLinks(task())).toEqual({
      task: `https://us-east-1.console.aws.amazon.com/ecs/v2/clusters/web/tasks/${TASK_ID}?region=us-east-1`,
      service: 'https://us-east-1.console.aws.amazon.com/ecs/v2/clusters/web/services/api?region=us-east-1',
      taskDefinition:
        'https://us-east-1.console.aws.amazon.com/ecs/v2/task-definitions/api/3?region=us-east-1',
    });
    expect(consoleLinks(task({ group: 'family:report' })).service).toBeUndefined();
  });

  it('resolves the awslogs stream as <prefix>/<container>/<taskId>', () => {
    expect(logLocation(definition.containerDefinitions[0] as never, TASK_ID, 'us-east-1')).toEqual({
      container: 'api',
      region: 'us-east-1',
      group: '/ecs/api',
      stream: `ecs/api/${TASK_ID}`,
      url: `https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:log-groups/log-group/$252Fecs$252Fapi/log-events/ecs$252Fapi$252F${TASK_ID}`,
    });
  });

  it('links the log group when no stream prefix is set, and nothing for other drivers', () => {
    const noPrefix = {
      name: 'api',
      logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/api' } },
    };
    expect(logLocation(noPrefix, TASK_ID, 'eu-west-1')).toMatchObject({
      region: 'eu-west-1',
      group: '/ecs/api',
    });
    expect(logLocation(noPrefix, TASK_ID, 'eu-west-1')?.stream).toBeUndefined();
    expect(
      logLocation({ name: 'api', logConfiguration: { logDriver: 'json-file' } }, TASK_ID, 'us-east-1'),
    ).toBeUndefined();
  });
});

describe('untrusted text', () => {
  it('builds no log link when awslogs-region is not an AWS region', () => {
    for (const region of ['evil.example/x#', 'evil.example', 'us-east-1.evil.example', 'US-EAST-1', '']) {
      const container = {
        name: 'api',
        logConfiguration: {
          logDriver: 'awslogs',
          options: { 'awslogs-group': '/ecs/api', 'awslogs-region': region },
        },
      };
      const location = logLocation(container, TASK_ID, 'us-east-1');
      if (region === '') expect(location?.url).toMatch(/^https:\/\/us-east-1\.console\.aws\.amazon\.com\//);
      else expect(location, region).toBeUndefined();
    }
  });

  it('keeps console links on the console host whatever the names say', () => {
    const links = consoleLinks(task({ cluster: 'web/../../evil', region: 'evil.example/' }));
    for (const url of Object.values(links)) expect(url ?? '').not.toContain('evil.example');
  });

  it('redacts credential-looking text in quoted reasons, keeping a marker', () => {
    const reason =
      'Essential container in task exited: /app/run --db-password=hunter2 AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY key AKIAIOSFODNN7EXAMPLE https://bob:s3cr3t@db.example/x Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc.def token=abc123';
    const alert = alertFor(
      task({ stoppedReason: reason, containers: [{ name: 'api', exitCode: 1, reason }] }),
    );
    const everything = `${alert.subject}\n${alert.text}\n${JSON.stringify(alert.data)}`;
    for (const secret of [
      'hunter2',
      'wJalrXUtnFEMI',
      'AKIAIOSFODNN7EXAMPLE',
      's3cr3t',
      'eyJhbGciOiJIUzI1NiJ9',
      'abc123',
    ])
      expect(everything).not.toContain(secret);
    expect(alert.text).toContain('[redacted]');
    expect(alert.text).toContain('/app/run --db-password=');
  });

  it('says a reason may be cut only when it reaches 1024 characters, as ECS now allows', () => {
    const at255 = `Essential container in task exited: ${'x'.repeat(255 - 36)}`;
    expect(alertFor(task({ stoppedReason: at255 })).text).not.toMatch(/cuts reasons/);
    const at1024 = `Essential container in task exited: ${'x'.repeat(1024 - 36)}`;
    expect(alertFor(task({ stoppedReason: at1024 })).text).toContain('ECS keeps at most 1024 characters');
  });
});

describe('buildAlert', () => {
  it('tells what failed, why, the fix and the context, with the log stream of the failing container', () => {
    const alert = alertFor(task());
    expect(alert.subject).toBe('[web] service api failed to start: Container exited at start');
    for (const part of [
      'WHAT FAILED',
      'The essential container api exited with code 1',
      'HOW TO FIX',
      'Capacity:          web-asg-cp (capacity provider, EC2)',
      'Availability zone: us-east-1a',
      `image:     ${ECR}/api:1.4.2`,
      `logs:      /ecs/api ecs/api/${TASK_ID}`,
      'Logs (api):',
    ]) {
      expect(alert.text).toContain(part);
    }
    expect(alert.text).not.toContain('log-router'); // only the failing container is listed
  });

  it('does not point at logs a container never wrote', () => {
    const alert = alertFor(
      task({
        stoppedReason: undefined,
        containers: [{ name: 'api', reason: 'CannotPullContainerError: manifest unknown' }],
      }),
    );
    expect(alert.text).not.toContain('Logs (api)');
    expect((alert.data.links as { logs: unknown[] }).logs).toHaveLength(1); // still there for machines
  });

  it('keeps subjects under 100 characters by shortening names, never the problem', () => {
    const long = task({ cluster: 'c'.repeat(60), group: `service:${'s'.repeat(80)}` });
    const subject = alertFor(long).subject;
    expect(subject.length).toBeLessThanOrEqual(SNS_SUBJECT_MAX);
    expect(subject).toMatch(/~: Container exited at start$/);
  });

  it('gives machines the same facts as JSON', () => {
    const { data } = alertFor(task());
    expect(data).toMatchObject({
      schema: 'ecs-autopilot.failed-start/v1',
      category: 'essential-container-exited',
      cluster: 'web',
      service: 'api',
      group: 'service:api',
      task: { taskId: TASK_ID, taskDefinition: 'api:3', capacityProviderName: 'web-asg-cp' },
    });
    expect(JSON.parse(JSON.stringify(data)).links.task).toContain(`/tasks/${TASK_ID}`);
  });
});

describe('composeMessage: one problem, every subscriber', () => {
  const T0 = Date.parse('2026-11-21T03:12:00Z');
  const detail = alertFor(task());
  const member = (group: string, failures: number) => ({
    group,
    family: group.split(':')[1] ?? group,
    failures,
    firstFailureAt: T0,
    lastFailureAt: T0 + 40 * 60_000,
    lastTaskArn: `arn:aws:ecs:us-east-1:123456789012:task/web/${TASK_ID}`,
    detail,
  });
  const incident = (fields: Partial<Incident> = {}): Incident => ({
    pk: 'failure#incident#arn:aws:ecs:us-east-1:123456789012:cluster/web#essential-container-exited#group:service:api',
    cluster: 'web',
    clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/web',
    category: 'essential-container-exited',
    causeKey: 'group:service:api',
    episode: 1,
    state: 'pending',
    episodeStartedAt: T0,
    lastFailureAt: T0 + 40 * 60_000,
    failures: 12,
    totalFailures: 12,
    notifiedFailures: 0,
    alertsSent: 0,
    dueAt: T0,
    members: [member('service:api', 12)],
    ...fields,
  });

  it('keeps one subject and one dedup key for every message of a problem', () => {
    const firing = composeMessage({ incident: incident(), kind: 'new', now: T0, nextDueAt: T0 + 900_000 });
    const repeat = composeMessage({
      incident: incident({ state: 'firing', alertsSent: 1, notifiedFailures: 3, lastAlertAt: T0 }),
      kind: 'repeat',
      now: T0 + 16 * 60_000,
    });
    const resolved = composeMessage({
      incident: incident({ state: 'firing', alertsSent: 2 }),
      kind: 'resolved',
      now: T0 + 60 * 60_000,
      resolution: 'service api runs its desired count',
    });
    expect(new Set([firing.subject, repeat.subject, resolved.subject]).size).toBe(1);
    expect(new Set([firing.dedupKey, repeat.dedupKey, resolved.dedupKey]).size).toBe(1);
    expect(firing.subject).toBe('[web] service api failed to start: Container exited at start');
    expect(repeat.text).toContain('12 failures in all, 9 since the last message at 2026-11-21 03:12 UTC');
    expect(resolved.text).toContain('RESOLVED');
    expect(resolved.attributes).toMatchObject({ status: 'resolved', severity: 'info' });
    expect(resolved.data).toMatchObject({ status: 'resolved', failures: 12 });
    expect(firing.data).toMatchObject({ status: 'firing', kind: 'new', service: 'api' });
  });

  it('fits SMS in one line under 160 characters, even with long names', () => {
    const long = incident({ cluster: 'c'.repeat(200), members: [member(`service:${'s'.repeat(255)}`, 3)] });
    for (const kind of ['new', 'repeat', 'resolved'] as const) {
      const { sms } = composeMessage({ incident: long, kind, now: T0 });
      expect(sms.length).toBeLessThan(160);
      expect(sms).not.toContain('\n');
    }
  });

  it('gives AWS Chatbot its custom-notification format, threaded by the problem', () => {
    const { chat, dedupKey } = composeMessage({ incident: incident(), kind: 'new', now: T0 });
    expect(chat).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: {
        textType: 'client-markdown',
        title: expect.any(String),
        description: expect.any(String),
        nextSteps: expect.any(Array),
        keywords: ['web', 'essential-container-exited', 'critical', 'firing'],
      },
      metadata: { threadId: dedupKey },
    });
  });

  it('names every service of a wave in one digest', () => {
    const wave = incident({
      causeKey: 'secret:arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbC',
      causeLabel: 'secret db-AbC',
      members: Array.from({ length: 30 }, (_, n) => member(`service:svc-${n}`, 1)),
    });
    const message = composeMessage({ incident: wave, kind: 'new', now: T0 });
    expect(message.subject).toBe(
      '[web] 30 services failed to start: Container exited at start (secret db-AbC)',
    );
    for (let n = 0; n < 30; n++) expect(message.text).toContain(`service svc-${n}:`);
    expect(message.text).toContain('30 services in cluster web');
  });
});
