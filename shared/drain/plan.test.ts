import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TASK_STATES } from '../ecs/lifecycle';
import {
  DAEMON_STOP_WAIT_MS,
  type DrainPlanInput,
  type DrainTaskLike,
  describeTask,
  diedWithHost,
  planDrain,
  servicesToClassify,
  stopReason,
  summarize,
} from './plan';
import { WAIT } from './policy';

const T0 = Date.parse('2026-11-21T03:00:00Z');
const ARN = 'arn:aws:ecs:us-east-1:123456789012:container-instance/web/0a1b2c3d';

const task = (id: string, fields: Partial<DrainTaskLike>): DrainTaskLike => ({
  taskArn: `arn:aws:ecs:us-east-1:123456789012:task/web/${id}`,
  desiredStatus: 'RUNNING',
  lastStatus: 'RUNNING',
  ...fields,
});
const apiTask = (id: string, fields: Partial<DrainTaskLike> = {}) =>
  task(id, { group: 'service:api', startedBy: 'ecs-svc/1234567890', ...fields });
const daemonTask = (id: string, fields: Partial<DrainTaskLike> = {}) =>
  task(id, { group: 'service:log-router', startedBy: 'ecs-svc/999', ...fields });
const reportTask = (id: string, fields: Partial<DrainTaskLike> = {}) =>
  task(id, { group: 'family:report', startedBy: 'ecs-autopilot/nightly-report', ...fields });

function input(overrides: Partial<DrainPlanInput> = {}): DrainPlanInput {
  return {
    trigger: 'lifecycle',
    cause: 'terminate',
    instanceId: 'i-0a1b2c3d4e5f60001',
    group: 'web-asg',
    instance: {
      containerInstanceArn: ARN,
      ec2InstanceId: 'i-0a1b2c3d4e5f60001',
      status: 'DRAINING',
      agentConnected: true,
    },
    tasks: [],
    daemonServices: new Set(['log-router']),
    policy: WAIT,
    startedAt: T0,
    deadlineSeconds: 3600,
    lastHeartbeatAt: T0,
    heartbeatIntervalSeconds: 100,
    now: T0 + 10_000,
    ...overrides,
  };
}
const types = (plan: ReturnType<typeof planDrain>) => plan.actions.map((action) => action.type);

describe('planDrain', () => {
  it('completes at once when the instance is not registered, and says why', () => {
    const plan = planDrain(input({ instance: undefined }));
    expect(plan.verdict).toBe('not-registered');
    expect(plan.actions).toEqual([{ type: 'complete-continue', reason: 'not-registered', remaining: [] }]);
    expect(plan.notes[0]).toMatch(/not registered in the cluster/);
  });

  it('sets an ACTIVE instance DRAINING and looks again before completing, even when idle', () => {
    const plan = planDrain(input({ instance: { containerInstanceArn: ARN, status: 'ACTIVE' } }));
    expect(plan.actions).toEqual([{ type: 'set-draining', containerInstanceArn: ARN }]);
    expect(plan.verdict).toBe('draining-started');
    expect(plan.final).toBe(false);
  });

  it('does not set DRAINING again', () => {
    const plan = planDrain(input({ tasks: [apiTask('a')] }));
    expect(types(plan)).toEqual(['wait']);
  });

  it('waits for a task told to stop but still STOPPING (the ListTasks trap)', () => {
    const plan = planDrain(
      input({ tasks: [apiTask('a', { desiredStatus: 'STOPPED', lastStatus: 'STOPPING' })] }),
    );
    expect(plan.verdict).toBe('waiting');
    expect(plan.remaining.map((t) => t.lastStatus)).toEqual(['STOPPING']);
  });

  it('completes once every task is STOPPED, daemon tasks last: waited for, within a bound', () => {
    const tasks = [
      apiTask('a', { desiredStatus: 'STOPPED', lastStatus: 'STOPPED', stoppedAt: new Date(T0 + 60_000) }),
      daemonTask('d', { desiredStatus: 'STOPPED', lastStatus: 'STOPPING' }),
      reportTask('r', { lastStatus: 'STOPPED', desiredStatus: 'STOPPED' }),
    ];
    const waiting = planDrain(input({ tasks, now: T0 + 90_000 }));
    expect(waiting.verdict).toBe('waiting');
    expect(waiting.notes.join()).toMatch(/daemon/);
    const stopped = planDrain(
      input({
        tasks: [tasks[0] as DrainTaskLike, { ...(tasks[1] as DrainTaskLike), lastStatus: 'STOPPED' }],
        now: T0 + 90_000,
      }),
    );
    expect(stopped.verdict).toBe('drained');
    const bounded = planDrain(input({ tasks, now: T0 + 60_000 + DAEMON_STOP_WAIT_MS }));
    expect(bounded.verdict).toBe('drained');
    expect(bounded.actions).toEqual([{ type: 'complete-continue', reason: 'drained', remaining: [] }]);
    expect(bounded.daemonTasksIgnored).toBe(1);
  });

  it('waits for standalone tasks under the wait policy', () => {
    const plan = planDrain(input({ tasks: [reportTask('r')], now: T0 + 3000_000 }));
    expect(types(plan)).toEqual(['heartbeat', 'wait']);
    expect(plan.stopStandaloneAt).toBeUndefined();
  });

  it('stops standalone tasks once the drain is stop-after seconds old, naming ecs-autopilot and the instance', () => {
    const tasks = [
      apiTask('a'),
      reportTask('r1'),
      reportTask('r2', { desiredStatus: 'STOPPED', lastStatus: 'STOPPING' }),
    ];
    const policy = { kind: 'stop-after' as const, seconds: 600 };
    expect(types(planDrain(input({ tasks, policy, now: T0 + 599_000 })))).toEqual(['heartbeat', 'wait']);
    const plan = planDrain(input({ tasks, policy, now: T0 + 600_000 }));
    const stop = plan.actions.find((action) => action.type === 'stop-standalone-tasks');
    expect(stop).toEqual({
      type: 'stop-standalone-tasks',
      tasks: [expect.objectContaining({ taskArn: expect.stringMatching(/r1$/), role: 'standalone' })],
      reason:
        'Stopped by ecs-autopilot: draining EC2 instance i-0a1b2c3d4e5f60001 (Auto Scaling group web-asg) before Auto Scaling terminates it',
    });
  });

  it('completes at the deadline naming the tasks still there', () => {
    const tasks = [apiTask('a'), reportTask('r')];
    expect(planDrain(input({ tasks, now: T0 + 3599_999 })).verdict).toBe('waiting');
    const plan = planDrain(input({ tasks, now: T0 + 3600_000 }));
    expect(plan.verdict).toBe('deadline-expired');
    expect(plan.final).toBe(true);
    const complete = plan.actions.at(-1);
    expect(complete).toMatchObject({ type: 'complete-continue', reason: 'deadline-expired' });
    expect(complete?.type === 'complete-continue' && complete.remaining.map((t) => t.role)).toEqual([
      'service',
      'standalone',
    ]);
  });

  it('records a heartbeat when the interval has passed or the hook timer is unknown', () => {
    const tasks = [apiTask('a')];
    expect(types(planDrain(input({ tasks, lastHeartbeatAt: T0, now: T0 + 99_999 })))).toEqual(['wait']);
    expect(types(planDrain(input({ tasks, lastHeartbeatAt: T0, now: T0 + 100_000 })))).toEqual([
      'heartbeat',
      'wait',
    ]);
    expect(types(planDrain(input({ tasks, lastHeartbeatAt: undefined })))).toEqual(['heartbeat', 'wait']);
  });

  it('puts the heartbeat before any step that can fail, so a failing step never costs the hook', () => {
    const tasks = [apiTask('a'), reportTask('r')];
    const policy = { kind: 'stop-after' as const, seconds: 0 };
    const instance = { containerInstanceArn: ARN, status: 'ACTIVE', agentConnected: true };
    const plan = planDrain(input({ tasks, policy, instance, lastHeartbeatAt: undefined }));
    expect(types(plan)).toEqual(['heartbeat', 'set-draining', 'stop-standalone-tasks', 'wait']);
  });

  it('Spot: drains and stops standalone tasks at once under stop-after; nothing to complete or heartbeat', () => {
    const plan = planDrain(
      input({
        trigger: 'spot',
        cause: 'spot',
        instance: { containerInstanceArn: ARN, status: 'ACTIVE' },
        tasks: [apiTask('a'), reportTask('r')],
        policy: { kind: 'stop-after', seconds: 3600 },
        lastHeartbeatAt: undefined,
      }),
    );
    expect(types(plan)).toEqual(['set-draining', 'stop-standalone-tasks']);
    expect(plan.verdict).toBe('spot-drain-started');
    expect(plan.final).toBe(true);
    expect(stopReason('i-1', 'g', 'spot')).toMatch(/after a Spot interruption warning$/);
  });

  it('Spot under the wait policy drains and stops standalone tasks at once (two minutes cannot wait)', () => {
    const plan = planDrain(
      input({
        trigger: 'spot',
        cause: 'spot',
        instance: { containerInstanceArn: ARN, status: 'ACTIVE' },
        tasks: [reportTask('r')],
      }),
    );
    expect(types(plan)).toEqual(['set-draining', 'stop-standalone-tasks']);
  });

  it('notes a disconnected agent', () => {
    const plan = planDrain(
      input({
        tasks: [apiTask('a')],
        instance: { containerInstanceArn: ARN, status: 'DRAINING', agentConnected: false },
      }),
    );
    expect(plan.notes.join(' ')).toMatch(/agent disconnected/);
  });

  it('lists the services to classify, skipping stopped tasks', () => {
    expect(
      servicesToClassify([
        apiTask('a'),
        apiTask('b'),
        daemonTask('d'),
        reportTask('r'),
        task('x', { group: 'service:old', lastStatus: 'STOPPED' }),
      ]),
    ).toEqual(['api', 'log-router']);
  });
});

const statusArb = fc.constantFrom(...TASK_STATES);
const taskArb = fc.record({
  kind: fc.constantFrom('service', 'daemon', 'standalone'),
  lastStatus: statusArb,
  desiredStatus: fc.constantFrom('RUNNING', 'STOPPED', 'PENDING'),
});

const scenarioArb = fc.record({
  trigger: fc.constantFrom('lifecycle' as const, 'spot' as const),
  status: fc.constantFrom('ACTIVE', 'DRAINING', 'REGISTERING', 'DEREGISTERING', undefined),
  registered: fc.boolean(),
  tasks: fc.array(taskArb, { maxLength: 12 }),
  stopAfter: fc.option(fc.integer({ min: 0, max: 7200 }), { nil: undefined }),
  elapsedSeconds: fc.integer({ min: 0, max: 8000 }),
  deadlineSeconds: fc.integer({ min: 60, max: 7200 }),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer S> ? S : never;

function toInput(scenario: Scenario) {
  const tasks = scenario.tasks.map((spec, index) => {
    const fields = { lastStatus: spec.lastStatus, desiredStatus: spec.desiredStatus };
    return spec.kind === 'service'
      ? apiTask(`s${index}`, fields)
      : spec.kind === 'daemon'
        ? daemonTask(`d${index}`, fields)
        : reportTask(`r${index}`, fields);
  });
  return input({
    trigger: scenario.trigger,
    cause: scenario.trigger === 'spot' ? 'spot' : 'terminate',
    instance: scenario.registered ? { containerInstanceArn: ARN, status: scenario.status } : undefined,
    tasks,
    policy: scenario.stopAfter === undefined ? WAIT : { kind: 'stop-after', seconds: scenario.stopAfter },
    deadlineSeconds: scenario.deadlineSeconds,
    now: T0 + scenario.elapsedSeconds * 1000,
  });
}

describe('planDrain properties', () => {
  it('never completes as drained while a non-daemon task is not STOPPED', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const plan = planDrain(toInput(scenario));
        const blocking = scenario.tasks.some(
          (spec) => spec.kind !== 'daemon' && spec.lastStatus !== 'STOPPED' && spec.lastStatus !== 'DELETED',
        );
        const completesDrained = plan.actions.some(
          (action) => action.type === 'complete-continue' && action.reason === 'drained',
        );
        if (blocking && scenario.registered) expect(completesDrained).toBe(false);
        // And completing as drained never happens in the same breath as setting DRAINING.
        if (completesDrained)
          expect(plan.actions.some((action) => action.type === 'set-draining')).toBe(false);
      }),
    );
  });

  it('completes exactly when not registered, drained, or past the deadline (lifecycle only)', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const plan = planDrain(toInput(scenario));
        const completes = plan.actions.some((action) => action.type === 'complete-continue');
        if (scenario.trigger === 'spot') {
          expect(completes).toBe(false);
          expect(plan.actions.some((action) => action.type === 'heartbeat')).toBe(false);
          return;
        }
        const blocking = scenario.tasks.some(
          (spec) => spec.kind !== 'daemon' && spec.lastStatus !== 'STOPPED' && spec.lastStatus !== 'DELETED',
        );
        const activating = scenario.registered && scenario.status === 'ACTIVE';
        // Daemons go last but are waited for, a bounded time after the others stopped (here: the start).
        const waitingForDaemons =
          scenario.tasks.some(
            (spec) =>
              spec.kind === 'daemon' && spec.lastStatus !== 'STOPPED' && spec.lastStatus !== 'DELETED',
          ) && scenario.elapsedSeconds < Math.min(DAEMON_STOP_WAIT_MS / 1000, scenario.deadlineSeconds);
        const expected =
          !scenario.registered ||
          (!blocking && !activating && !waitingForDaemons) ||
          (blocking && scenario.elapsedSeconds >= scenario.deadlineSeconds);
        expect(completes).toBe(expected);
        expect(plan.final).toBe(expected);
      }),
    );
  });

  it('stops only standalone tasks not yet told to stop, and only when the policy says so', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const plan = planDrain(toInput(scenario));
        for (const action of plan.actions) {
          if (action.type !== 'stop-standalone-tasks') continue;
          // Spot stops them whatever the policy.
          if (scenario.trigger === 'lifecycle') expect(scenario.stopAfter).toBeDefined();
          if (scenario.trigger === 'lifecycle')
            expect(scenario.elapsedSeconds).toBeGreaterThanOrEqual(scenario.stopAfter ?? 0);
          expect(action.tasks.length).toBeGreaterThan(0);
          for (const stopped of action.tasks) {
            expect(stopped.role).toBe('standalone');
            expect(stopped.desiredStatus).not.toBe('STOPPED');
            expect(['STOPPED', 'DELETED']).not.toContain(stopped.lastStatus);
          }
        }
      }),
    );
  });
});

describe('describeTask', () => {
  it('names the task, what runs it and where it is', () => {
    const services = new Set(['log-router']);
    const [api, daemon, report] = [
      apiTask('a', { desiredStatus: 'STOPPED', lastStatus: 'STOPPING' }),
      daemonTask('d'),
      reportTask('r'),
    ].map((task) => describeTask(summarize(task, services)));
    expect(api).toBe('arn:aws:ecs:us-east-1:123456789012:task/web/a (service:api, STOPPING, told to stop)');
    expect(daemon).toBe(
      'arn:aws:ecs:us-east-1:123456789012:task/web/d (service:log-router (daemon), RUNNING)',
    );
    expect(report).toBe('arn:aws:ecs:us-east-1:123456789012:task/web/r (family:report, RUNNING)');
  });
});

describe('an instance lost under its drain (#24)', () => {
  const died = reportTask('r1', {
    lastStatus: 'STOPPED',
    desiredStatus: 'STOPPED',
    stoppedAt: new Date(T0 + 60_000),
    stoppedReason: 'Host EC2 (instance i-0a1b2c3d4e5f60001) terminated.',
  });
  const drained = apiTask('a1', {
    lastStatus: 'STOPPED',
    desiredStatus: 'STOPPED',
    stoppedAt: new Date(T0 + 30_000),
    stopCode: 'ServiceSchedulerInitiated',
  });

  it('deregistered mid-drain: closed as lost, naming the tasks that died with the host, not completed', () => {
    const result = planDrain(
      input({
        instance: undefined,
        deregistered: { containerInstanceArn: ARN, died: [died] },
        drainUnderway: true,
      }),
    );
    expect(result.verdict).toBe('instance-lost');
    expect(result.actions).toEqual([
      { type: 'close-lost', died: [expect.objectContaining({ taskArn: died.taskArn })], completeHook: true },
    ]);
  });

  it('an instance never seen registered is not a loss: it is let go as not registered', () => {
    expect(planDrain(input({ instance: undefined })).verdict).toBe('not-registered');
    expect(
      planDrain(input({ instance: undefined, deregistered: { containerInstanceArn: ARN, died: [] } }))
        .verdict,
    ).toBe('not-registered');
  });

  it('gone from its group: lost, with no hook left to complete', () => {
    const result = planDrain(input({ instance: undefined, vanished: true }));
    expect(result.actions).toEqual([{ type: 'close-lost', died: [], completeHook: false }]);
  });

  it('only tasks stopped by the host going away since the drain started died with it', () => {
    const spot = reportTask('s1', { lastStatus: 'STOPPED', stopCode: 'SpotInterruption', stoppedAt: T0 + 1 });
    const before = { ...died, stoppedAt: new Date(T0 - 1) };
    expect(diedWithHost([died, drained, spot, before], T0).map((t) => t.taskArn)).toEqual([
      died.taskArn,
      spot.taskArn,
    ]);
  });
});

describe("Spot's two minutes (#24)", () => {
  it('stops standalone tasks at once under wait, and names tasks whose stop timeout exceeds the time left', () => {
    const job = reportTask('r1', { taskDefinitionArn: 'report:7' });
    const slow = apiTask('a1', { taskDefinitionArn: 'api:3' });
    const result = planDrain(
      input({
        trigger: 'spot',
        cause: 'spot',
        policy: WAIT,
        tasks: [job, slow],
        now: T0 + 30_000,
        interruptionAt: T0 + 120_000,
        stopTimeouts: new Map([
          ['report:7', 30],
          ['api:3', 120],
        ]),
      }),
    );
    expect(result.actions.map((action) => action.type)).toEqual(['stop-standalone-tasks', 'warn-cut-short']);
    const cut = result.actions.find((action) => action.type === 'warn-cut-short');
    expect(cut).toMatchObject({
      secondsLeft: 90,
      tasks: [{ task: { taskArn: slow.taskArn }, stopTimeoutSeconds: 120 }],
    });
  });
});
