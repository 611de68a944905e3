import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BadEventError } from '../runtime/errors';
import { parseCapacityEvent, requestAnnouncement } from './events';

const sample = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(`events/scale-capacity/${name}.json`, 'utf8'));

describe('parseCapacityEvent', () => {
  it('reads each sample event', () => {
    expect(parseCapacityEvent(sample('schedule-tick'))).toEqual({
      kind: 'tick',
      time: Date.parse('2025-01-15T03:05:00Z'),
    });
    expect(parseCapacityEvent(sample('task-provisioning'))).toMatchObject({
      kind: 'provisioning',
      cluster: 'web',
      capacityProvider: 'web-asg-cp',
      taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/web/3f2e1d0c9b8a47f6a5e4d3c2b1a09f8e',
      group: 'family:report',
    });
    expect(parseCapacityEvent(sample('placement-failure'))).toMatchObject({
      kind: 'placement-failure',
      cluster: 'web',
      capacityProviders: ['web-asg-cp'],
      service: 'api',
      reason: 'RESOURCE:MEMORY',
    });
    expect(parseCapacityEvent(sample('capacity-request'))).toMatchObject({
      kind: 'request',
      cluster: 'web',
      capacityProvider: 'web-asg-cp',
    });
  });

  it('rejects the malformed sample with the path of the missing field', () => {
    try {
      parseCapacityEvent(sample('malformed'));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(BadEventError);
      expect((error as BadEventError).issues).toEqual([
        { path: 'detail.clusterArn', message: expect.any(String) },
      ]);
    }
  });

  it('ignores well-formed events that need no pass, and keeps fields AWS adds', () => {
    const provisioning = sample('task-provisioning');
    const detail = provisioning.detail as Record<string, unknown>;
    expect(
      parseCapacityEvent({ ...provisioning, detail: { ...detail, lastStatus: 'RUNNING' } }),
    ).toMatchObject({ kind: 'ignored' });
    expect(
      parseCapacityEvent({
        ...provisioning,
        detail: {
          ...detail,
          containerInstanceArn: 'arn:aws:ecs:us-east-1:123456789012:container-instance/web/1',
        },
      }),
    ).toMatchObject({ kind: 'ignored' });
    const failure = sample('placement-failure');
    expect(
      parseCapacityEvent({
        ...failure,
        detail: { ...(failure.detail as object), eventName: 'SERVICE_STEADY_STATE' },
      }),
    ).toMatchObject({ kind: 'ignored' });
    expect(
      parseCapacityEvent({ ...failure, detail: { ...(failure.detail as object), newField: 1 } }),
    ).toMatchObject({ kind: 'placement-failure' });
  });

  it('rejects other events, saying which it takes', () => {
    expect(() =>
      parseCapacityEvent({
        source: 'aws.ec2',
        'detail-type': 'EC2 Spot Instance Interruption Warning',
        detail: {},
      }),
    ).toThrow(/expected a Scheduled Event, ECS Task State Change \(PROVISIONING\)/);
    expect(() => parseCapacityEvent('not an event')).toThrow(BadEventError);
  });
});

describe('size limits', () => {
  const name255 = 'n'.repeat(255);
  const arn = (resource: string) => `arn:aws:ecs:us-east-1:123456789012:${resource}`;
  const withDetail = (name: string, fields: Record<string, unknown>) => {
    const event = sample(name);
    return { ...event, detail: { ...(event.detail as Record<string, unknown>), ...fields } };
  };
  const refusedPaths = (event: unknown) => {
    try {
      parseCapacityEvent(event);
      return undefined;
    } catch (error) {
      if (!(error instanceof BadEventError)) throw error;
      return error.issues.map((issue) => issue.path);
    }
  };

  it.each([
    ['task-provisioning', 'clusterArn', arn(`cluster/${name255}`), arn(`cluster/${name255}n`)],
    ['task-provisioning', 'taskArn', arn(`task/${name255}/${name255}`), arn(`task/web/${name255}n`)],
    ['task-provisioning', 'capacityProviderName', name255, `${name255}n`],
    ['placement-failure', 'clusterArn', arn(`cluster/${name255}`), arn(`cluster/${name255}n`)],
    ['capacity-request', 'cluster', name255, `${name255}n`],
    ['capacity-request', 'capacityProvider', name255, `${name255}n`],
  ])('%s %s: accepted at the limit, refused just above it by name', (name, field, atLimit, above) => {
    expect(refusedPaths(withDetail(name, { [field]: atLimit }))).toBeUndefined();
    expect(refusedPaths(withDetail(name, { [field]: above }))).toEqual([`detail.${field}`]);
  });

  it('capacity provider ARNs and event resources: the ECS name and PutEvents limits', () => {
    const providers = (name: string) =>
      withDetail('placement-failure', { capacityProviderArns: [arn(`capacity-provider/${name}`)] });
    expect(refusedPaths(providers(name255))).toBeUndefined();
    expect(refusedPaths(providers(`${name255}n`))).toEqual(['detail.capacityProviderArns[0]']);
    const event = sample('placement-failure');
    expect(refusedPaths({ ...event, resources: ['r'.repeat(2048)] })).toBeUndefined();
    expect(refusedPaths({ ...event, resources: ['r'.repeat(2049)] })).toEqual(['resources[0]']);
    expect(refusedPaths({ ...event, 'detail-type': 'd'.repeat(129) })).toEqual(['detail-type']);
  });

  it('cuts the placement failure reason, which it only reports', () => {
    const parsed = parseCapacityEvent(
      withDetail('placement-failure', { reason: `RESOURCE:MEMORY ${'x'.repeat(100_000)}` }),
    );
    expect(parsed).toMatchObject({ kind: 'placement-failure' });
    if (parsed.kind !== 'placement-failure') return;
    expect(parsed.reason).toMatch(/^RESOURCE:MEMORY x+…\[cut, 98992 more characters\]$/);
  });
});

describe('requestAnnouncement', () => {
  const request = {
    cluster: 'web',
    capacityProvider: 'web-asg-cp',
    jobName: 'nightly-report',
    due: '2025-01-15T03:00:00Z',
    taskDefinition: 'report:7',
    cpu: 256,
    memoryMiB: 512,
    gpus: 0,
    count: 1,
  };
  const asReceived = (announcement: ReturnType<typeof requestAnnouncement>) => ({
    ...sample('capacity-request'),
    source: announcement.source,
    'detail-type': announcement.detailType,
    detail: announcement.detail,
  });

  it('is the event scale-capacity reads as a request for that cluster and provider', () => {
    expect(parseCapacityEvent(asReceived(requestAnnouncement(request)))).toMatchObject({
      kind: 'request',
      cluster: 'web',
      capacityProvider: 'web-asg-cp',
    });
  });

  it('names no provider for a request meant for any group (`*`)', () => {
    const announcement = requestAnnouncement({ ...request, capacityProvider: '*' });
    expect(announcement.detail).not.toHaveProperty('capacityProvider');
    expect(parseCapacityEvent(asReceived(announcement))).toMatchObject({
      kind: 'request',
      capacityProvider: undefined,
    });
  });
});
