import { describe, expect, it } from 'vitest';
import { failedRunAlert, taskLinks } from './alerts';
import { taskOutcome } from './outcome';

const TASK = 'arn:aws:ecs:eu-west-1:123456789012:task/web/0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const REVISION = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/report:7';
const DEFINITION = {
  containerDefinitions: [
    {
      name: 'report',
      logConfiguration: {
        logDriver: 'awslogs',
        options: { 'awslogs-group': '/ecs/report', 'awslogs-stream-prefix': 'ecs' },
      },
    },
    { name: 'sidecar' },
  ],
};

describe('taskLinks', () => {
  it('links the task, its revision and each awslogs container, in the task Region', () => {
    const links = taskLinks(TASK, REVISION, DEFINITION);
    expect(links.taskDefinition).toBe('report:7');
    expect(links.task).toBe(
      'https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/web/tasks/0f1e2d3c4b5a69788796a5b4c3d2e1f0?region=eu-west-1',
    );
    expect(links.taskDefinitionLink).toContain('/ecs/v2/task-definitions/report/7');
    expect(links.logs.map((log) => log.container)).toEqual(['report']);
    expect(new URL(links.logs[0]?.url ?? '').host).toBe('eu-west-1.console.aws.amazon.com');
  });

  it('builds no link from text that is not an ARN', () => {
    expect(
      taskLinks('arn:aws:ecs:evil.example/x#:123456789012:task/web/abc', 'report:7', DEFINITION),
    ).toEqual({
      logs: [],
    });
  });
});

describe('failedRunAlert', () => {
  const failed = taskOutcome({
    taskArn: TASK,
    taskDefinitionArn: REVISION,
    stopCode: 'EssentialContainerExited',
    startedAt: '2025-01-15T03:01:00Z',
    containers: [{ name: 'report', exitCode: 2 }],
  });

  it('counts the failures in a row and names the last success', () => {
    const alert = failedRunAlert('nightly', 'web', '2025-01-17T03:00:00Z', [failed], {
      streak: 3,
      streakSince: '2025-01-15T03:00:00Z',
      lastSucceededDue: '2025-01-14T03:00:00Z',
      links: { [TASK]: taskLinks(TASK, REVISION, DEFINITION) },
    });
    expect(alert.subject).toBe('Job nightly failed 3 runs in a row: run due 2025-01-17T03:00:00Z');
    expect(alert.text).toContain('since the run due 2025-01-15T03:00:00Z');
    expect(alert.text).toContain('Last success: the run due 2025-01-14T03:00:00Z');
    expect(alert.text).toContain('(report:7): container report exited 2');
    expect(alert.data).toMatchObject({ streak: 3, tasks: [{ taskDefinition: 'report:7' }] });
  });

  it('a first failure is no streak; no success on record is said', () => {
    const alert = failedRunAlert('nightly', 'web', '2025-01-17T03:00:00Z', [failed], { streak: 1 });
    expect(alert.subject).toBe('Job nightly failed: run due 2025-01-17T03:00:00Z');
    expect(alert.text).toContain('No successful run is on record.');
  });
});
