import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classify } from './classify';
import {
  causeOf,
  failureTime,
  markerKey,
  messageKindOf,
  notReportable,
  repeatAfterMs,
  screen,
  severityOf,
} from './decide';
import type { TaskSnapshot } from './events';

const task = (fields: Partial<TaskSnapshot>): TaskSnapshot => ({
  taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/web/0123456789abcdef0123456789abcdef',
  taskId: '0123456789abcdef0123456789abcdef',
  clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/web',
  cluster: 'web',
  region: 'us-east-1',
  version: 3,
  lastStatus: 'STOPPED',
  group: 'service:api',
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/api:3',
  taskDefinition: 'api:3',
  containers: [],
  ...fields,
});

describe('screen', () => {
  it('keeps only stopped tasks that never ran', () => {
    expect(screen(task({ lastStatus: 'RUNNING' }))).toBe('not-stopped');
    expect(screen(task({ lastStatus: 'DEPROVISIONING' }))).toBe('not-stopped');
    expect(screen(task({}))).toBe('failed-to-start');
    expect(screen(task({ startedAt: '2026-11-21T03:00:00Z' }))).toBe('ran-then-stopped');
    expect(screen(task({ startedAt: '2026-11-21T03:00:00Z', stopCode: 'TaskFailedToStart' }))).toBe(
      'failed-to-start',
    );
  });
});

describe('notReportable', () => {
  const scaledIn = classify({ stoppedReason: 'Scaling activity initiated by (deployment ecs-svc/1)' });
  const spot = classify({ stoppedReason: 'Host EC2 (instance i-0abc123) terminated.' });
  const pull = classify({ stoppedReason: 'CannotPullContainerError: manifest unknown' });
  const quiet = { alertOnIntentionalStops: false, alertOnHostInterruptions: false };
  it('leaves stops on purpose out unless configured', () => {
    expect(notReportable(scaledIn, quiet)).toBe('intentional-stop');
    expect(notReportable(scaledIn, { ...quiet, alertOnIntentionalStops: true })).toBeUndefined();
    expect(notReportable(pull, quiet)).toBeUndefined();
  });
  it('leaves a task whose instance went away out unless configured: ECS replaces it', () => {
    expect(spot.category).toBe('host-or-spot');
    expect(notReportable(spot, quiet)).toBe('host-interruption');
    expect(notReportable(spot, { ...quiet, alertOnHostInterruptions: true })).toBeUndefined();
  });
});

describe('keys', () => {
  it('namespaces items under failure#', () => {
    expect(markerKey('arn:x')).toEqual({ pk: 'failure#task#arn:x', sk: 'task' });
  });
});

describe('lifecycle', () => {
  it('backs off repeats: the window, twice it, four times it, then every 4 hours', () => {
    const minutes = [1, 2, 3, 4, 5, 9].map((sent) => repeatAfterMs(sent, 900) / 60_000);
    expect(minutes).toEqual([15, 30, 60, 240, 240, 240]);
  });

  it('never repeats faster than the window, whatever it is', () => {
    fc.assert(
      fc.property(fc.integer({ min: 60, max: 86_400 }), fc.integer({ min: 1, max: 1000 }), (window, sent) => {
        expect(repeatAfterMs(sent, window)).toBeGreaterThanOrEqual(window * 1000);
        expect(repeatAfterMs(sent + 1, window)).toBeGreaterThanOrEqual(repeatAfterMs(sent, window));
      }),
      { seed: 1337 },
    );
  });

  it('names the first message new, or recurred after a quiet episode, then repeats', () => {
    expect(messageKindOf({ state: 'pending' })).toBe('new');
    expect(messageKindOf({ state: 'pending', recurredAfter: 5 })).toBe('recurred');
    expect(messageKindOf({ state: 'firing' })).toBe('repeat');
  });

  it('groups failures by what they share: the secret, the registry, the repository; else the service', () => {
    const secret = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-password-AbCdEf';
    expect(causeOf('secrets', { secret }, 'service:api')).toEqual({
      key: `secret:${secret}`,
      label: 'secret db-password-AbCdEf',
    });
    expect(
      causeOf('image-pull', { image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1.4.3' }, 'service:a')
        .key,
    ).toBe(
      causeOf(
        'image-pull',
        { image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/api@sha256:abcd' },
        'service:b',
      ).key,
    );
    expect(causeOf('registry-auth', { image: 'nginx:latest' }, 'service:a').key).toBe('registry:docker.io');
    expect(causeOf('container-command', {}, 'service:api').key).toBe('group:service:api');
  });

  it('rates severity by what keeps failing and who keeps trying', () => {
    expect(severityOf('image-pull', 'service:api')).toBe('critical');
    expect(severityOf('image-pull', 'family:report')).toBe('warning');
    expect(severityOf('capacity', 'service:api')).toBe('warning');
    expect(severityOf('image-pull', 'service:api', 'resolved')).toBe('info');
  });

  it('keys windows on stoppedAt, unless it is missing or in the future', () => {
    expect(failureTime({ stoppedAt: '2026-11-21T03:00:00Z' }, Date.parse('2026-11-21T03:30:00Z'))).toBe(
      Date.parse('2026-11-21T03:00:00Z'),
    );
    expect(failureTime({}, 42)).toBe(42);
    expect(failureTime({ stoppedAt: '2999-01-01T00:00:00Z' }, 42)).toBe(42);
  });
});
