import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BadEventError } from '../runtime/errors';
import { maskToken, parseDrainEvent } from './events';

const folder = join(__dirname, '../../events/drain-instance');
const fixture = (name: string): unknown => JSON.parse(readFileSync(join(folder, name), 'utf8'));

describe('sample events (contract)', () => {
  it('covers every fixture in events/drain-instance', () => {
    expect(readdirSync(folder).sort()).toEqual([
      'malformed.json',
      'reconcile-tick.json',
      'spot-interruption-warning.json',
      'terminate-lifecycle-action.json',
      'test-notification.json',
      'warm-pool-move.json',
    ]);
  });

  it('reads a terminate lifecycle action', () => {
    expect(parseDrainEvent(fixture('terminate-lifecycle-action.json'))).toEqual({
      kind: 'lifecycle',
      time: Date.parse('2026-11-21T03:00:00Z'),
      group: 'web-asg',
      hook: 'ecs-autopilot-drain',
      instanceId: 'i-0a1b2c3d4e5f60001',
      token: '87654321-4321-4321-4321-210987654321',
      metadata: '{"cluster":"web"}',
      destination: 'EC2',
    });
  });

  it('reads a move back to the warm pool as a drain', () => {
    expect(parseDrainEvent(fixture('warm-pool-move.json'))).toMatchObject({
      kind: 'lifecycle',
      instanceId: 'i-0a1b2c3d4e5f60002',
      destination: 'WarmPool',
    });
  });

  it('recognises the test notification', () => {
    expect(parseDrainEvent(fixture('test-notification.json'))).toEqual({
      kind: 'test-notification',
      group: 'web-asg',
    });
    expect(
      parseDrainEvent({ Event: 'autoscaling:TEST_NOTIFICATION', AutoScalingGroupName: 'web-asg' }),
    ).toEqual({
      kind: 'test-notification',
      group: 'web-asg',
    });
  });

  it('reads a Spot interruption warning and a reconcile tick', () => {
    expect(parseDrainEvent(fixture('spot-interruption-warning.json'))).toEqual({
      kind: 'spot',
      time: Date.parse('2026-11-21T03:20:00Z'),
      instanceId: 'i-0a1b2c3d4e5f60003',
      action: 'terminate',
    });
    expect(parseDrainEvent(fixture('reconcile-tick.json'))).toEqual({
      kind: 'reconcile',
      time: Date.parse('2026-11-21T03:01:00Z'),
    });
  });

  it('rejects the malformed event naming the field', () => {
    const parse = () => parseDrainEvent(fixture('malformed.json'));
    expect(parse).toThrow(BadEventError);
    try {
      parse();
    } catch (error) {
      expect((error as BadEventError).issues).toEqual([
        { path: 'detail.EC2InstanceId', message: 'expected an EC2 instance id such as i-0a1b2c3d4e5f60001' },
      ]);
    }
  });
});

describe('parseDrainEvent', () => {
  const lifecycle = fixture('terminate-lifecycle-action.json') as { detail: Record<string, unknown> };

  it('accepts fields AWS may add later', () => {
    const event = {
      ...lifecycle,
      newTopLevel: true,
      detail: { ...lifecycle.detail, SomethingNew: { a: 1 } },
    };
    expect(parseDrainEvent(event)).toMatchObject({ kind: 'lifecycle', instanceId: 'i-0a1b2c3d4e5f60001' });
  });

  it('sets aside a lifecycle event of another transition', () => {
    const event = {
      ...lifecycle,
      detail: { ...lifecycle.detail, LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING' },
    };
    expect(parseDrainEvent(event)).toEqual({
      kind: 'not-terminating',
      group: 'web-asg',
      instanceId: 'i-0a1b2c3d4e5f60001',
      transition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
    });
  });

  it('requires the token of a terminate action', () => {
    const { LifecycleActionToken: _, ...detail } = lifecycle.detail;
    expect(() => parseDrainEvent({ ...lifecycle, detail })).toThrow(/detail.LifecycleActionToken/);
  });

  it('rejects events it is not subscribed to, and non-events', () => {
    expect(() =>
      parseDrainEvent({ source: 'aws.ecs', 'detail-type': 'ECS Task State Change', detail: {} }),
    ).toThrow(/does not handle "ECS Task State Change" from "aws.ecs"/);
    expect(() => parseDrainEvent('hello')).toThrow(BadEventError);
    expect(() => parseDrainEvent(null)).toThrow(BadEventError);
    expect(() =>
      parseDrainEvent({
        source: 'aws.ec2',
        'detail-type': 'EC2 Spot Instance Interruption Warning',
        detail: {},
      }),
    ).toThrow(/detail.instance-id/);
  });

  it('never gives the whole token to a log', () => {
    expect(maskToken('87654321-4321-4321-4321-210987654321')).toBe('87654321…');
    expect(maskToken('short')).toBe('…');
    expect(maskToken(undefined)).toBeUndefined();
  });
});

describe('size limits', () => {
  const terminate = fixture('terminate-lifecycle-action.json') as { detail: Record<string, unknown> };
  const spot = fixture('spot-interruption-warning.json') as { detail: Record<string, unknown> };
  const withDetail = (event: { detail: Record<string, unknown> }, field: string, value: unknown) => ({
    ...event,
    detail: { ...event.detail, [field]: value },
  });
  /** The paths a refusal names, or undefined when the event is accepted. */
  const refusedPaths = (event: unknown) => {
    try {
      parseDrainEvent(event);
      return undefined;
    } catch (error) {
      if (!(error instanceof BadEventError)) throw error;
      return error.issues.map((issue) => issue.path);
    }
  };

  it.each([
    ['AutoScalingGroupName', 'g'.repeat(255), 'g'.repeat(256)],
    ['LifecycleHookName', 'h/'.repeat(127).concat('h'), 'h'.repeat(256)],
    ['LifecycleActionToken', '12345678-1234-1234-1234-123456789012', '12345678-1234-1234-1234-1234567890123'],
    ['NotificationMetadata', 'm'.repeat(1023), 'm'.repeat(1024)],
    ['EC2InstanceId', 'i-0123456789abcdef0', 'i-0123456789abcdef01'],
  ])('%s: accepted at the limit, refused just above it by name', (field, atLimit, above) => {
    expect(refusedPaths(withDetail(terminate, field, atLimit))).toBeUndefined();
    expect(refusedPaths(withDetail(terminate, field, above))).toEqual([`detail.${field}`]);
  });

  it('refuses a token of any other length, short or long', () => {
    expect(refusedPaths(withDetail(terminate, 'LifecycleActionToken', 'abc'))).toEqual([
      'detail.LifecycleActionToken',
    ]);
  });

  it('refuses control characters in a group name and a source or detail-type past PutEvents limits', () => {
    expect(refusedPaths(withDetail(terminate, 'AutoScalingGroupName', 'web\u0000asg'))).toEqual([
      'detail.AutoScalingGroupName',
    ]);
    expect(refusedPaths({ ...terminate, source: 's'.repeat(257) })).toEqual(['source']);
    expect(refusedPaths({ ...terminate, 'detail-type': 'd'.repeat(129) })).toEqual(['detail-type']);
  });

  it('cuts free text it only reports, with a marker saying how much', () => {
    const event = parseDrainEvent(withDetail(spot, 'instance-action', 'x'.repeat(200_000)));
    expect(event).toMatchObject({
      kind: 'spot',
      action: `${'x'.repeat(1024)}…[cut, 198976 more characters]`,
    });
    const moved = parseDrainEvent(withDetail(terminate, 'Destination', 'W'.repeat(5000)));
    expect(moved.kind === 'lifecycle' && moved.destination?.length).toBeLessThan(1100);
    const other = parseDrainEvent(withDetail(terminate, 'LifecycleTransition', 't'.repeat(5000)));
    expect(
      other.kind === 'not-terminating' && other.transition.endsWith('…[cut, 3976 more characters]'),
    ).toBe(true);
  });
});
