// scale-capacity end to end on the local endpoint: it never fights Auto Scaling or ECS (#23). Zones
// stay balanced as it removes idle instances, a raise starts from the instances really there, a
// task with ECS task scale-in protection keeps its instance, and a mixed instances group is planned
// with the type Auto Scaling launches.
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CapacitySummary } from '../../functions/scale-capacity/reconcile';
import { type LocalAws, SAMPLE, scheduledEvent, startLocalAws } from '../local-aws/index';
import { lambdaContext } from '../local-aws/lambda';
import { setProtection } from '../local-aws/model/task-protection';
import { useLocalAwsEnv, useWorldClock } from '../local-aws/vitest';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

const ENV = {
  CAPACITY_PROVIDERS: SAMPLE.capacityProvider,
  SCALE_IN_AFTER_SECONDS: '300',
  MAX_SCALE_IN: '100%',
  MAX_STEP: '10',
  BOOT_TIMEOUT_SECONDS: '600',
  HEADROOM: '',
  CONSOLIDATION: 'false',
  DRY_RUN: 'false',
};

let aws: LocalAws;
let handler: Handler;

beforeAll(async () => {
  aws = await startLocalAws({ seed: 'sample' });
  useLocalAwsEnv(aws, ENV);
  useWorldClock(aws);
});
afterAll(() => aws.close());

beforeEach(async () => {
  await aws.reset('sample');
  await loadHandler();
});

async function loadHandler(env: Record<string, string> = {}) {
  Object.assign(process.env, ENV, env);
  vi.resetModules();
  handler = (await import('../../functions/scale-capacity/index')).handler as Handler;
}

const tick = () => scheduledEvent('ecs-autopilot-scale-capacity-tick', aws.world.now());
const invoke = async (event: unknown) =>
  (await handler(event, lambdaContext({ functionName: 'scale-capacity' }))) as CapacitySummary;
const desired = () => aws.world.group(SAMPLE.group)?.desiredCapacity;
const inGroup = () =>
  aws.world
    .groupInstances(SAMPLE.group)
    .filter((instance) => /^(Pending|InService)/.test(instance.lifecycleState));
const terminations = () => aws.calls.list('autoscaling:TerminateInstanceInAutoScalingGroup');
const running = (service: string) =>
  aws.world.tasks({ cluster: SAMPLE.cluster, service, lastStatus: 'RUNNING', desiredStatus: 'RUNNING' })
    .length;

/** Ticks every minute for `minutes`, as the schedule does. */
async function tickFor(minutes: number): Promise<CapacitySummary[]> {
  const summaries: CapacitySummary[] = [];
  for (let minute = 0; minute < minutes; minute++) {
    summaries.push(await invoke(tick()));
    aws.world.advance(60_000);
  }
  return summaries;
}

/** Instances of the group per zone, those leaving it left out. */
function perZone(): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(
    SAMPLE.availabilityZones.map((zone) => [zone, 0]),
  );
  for (const instance of inGroup())
    counts[instance.availabilityZone] = (counts[instance.availabilityZone] ?? 0) + 1;
  return counts;
}

describe('scale-capacity never fights Auto Scaling', () => {
  it('removing idle instances never leaves the zones more than one instance apart (AZRebalance has nothing to undo)', async () => {
    // Six instances, two per zone; those in us-east-1a are idle, the others run a long job each.
    aws.world.launchInstances(SAMPLE.group, 3, {
      inService: true,
      availabilityZones: [...SAMPLE.availabilityZones],
    });
    aws.world.setServiceDesiredCount(SAMPLE.cluster, 'api', 0);
    aws.world.setServiceDesiredCount(SAMPLE.cluster, 'worker', 0);
    aws.world.setTaskScript('report', { runForMs: 3_600_000, exitCode: 0 });
    for (const instance of aws.world.groupInstances(SAMPLE.group)) {
      if (instance.availabilityZone === 'us-east-1a') continue;
      aws.world.runStandaloneTask({
        cluster: SAMPLE.cluster,
        taskDefinition: SAMPLE.taskDefinitions.report,
        placementConstraints: [{ type: 'memberOf', expression: `ec2InstanceId == ${instance.instanceId}` }],
      });
    }
    aws.world.advance(60_000);
    expect(perZone()).toEqual({ 'us-east-1a': 2, 'us-east-1b': 2, 'us-east-1c': 2 });
    const idle = inGroup()
      .filter((instance) => instance.availabilityZone === 'us-east-1a')
      .map((instance) => instance.instanceId);

    const summaries = await tickFor(8);

    const removed = summaries.flatMap((summary) => summary.providers[0]?.removed ?? []);
    expect(removed).toHaveLength(1);
    expect(idle).toContain(removed[0]);
    aws.world.advance(400_000);
    const zones = Object.values(perZone());
    expect(Math.max(...zones) - Math.min(...zones)).toBeLessThanOrEqual(1);
    expect(perZone()).toEqual({ 'us-east-1a': 1, 'us-east-1b': 2, 'us-east-1c': 2 });
  });

  it('a scale-out with more protected instances than the desired capacity launches at once', async () => {
    const ids = aws.world.groupInstances(SAMPLE.group).map((instance) => instance.instanceId);
    aws.world.setInstanceProtection(SAMPLE.group, ids, true);
    // Someone lowered the desired capacity: Auto Scaling cannot remove a protected instance, so three stay.
    aws.world.updateGroup(SAMPLE.group, { desiredCapacity: 2 });
    aws.world.advance(60_000);
    expect(inGroup()).toHaveLength(3);
    // Two api tasks more than the three instances hold: one new instance.
    const free = aws.world.instances(SAMPLE.cluster).reduce((sum, instance) => {
      const room = aws.world.remaining(instance);
      return sum + Math.min(Math.floor(room.cpu / 512), Math.floor(room.memory / 1024));
    }, 0);
    aws.world.setServiceDesiredCount(SAMPLE.cluster, 'api', 4 + free + 2);
    aws.world.advance(61_000);

    const summary = await invoke(tick());

    // From the three instances there, not from the desired capacity 2 (2 -> 3 would launch nothing).
    expect(summary.providers[0]).toMatchObject({ scaleOut: 1, desiredCapacity: 4 });
    expect(desired()).toBe(4);
    expect(inGroup()).toHaveLength(4);
    aws.world.advanceUntil(() => running('api') === 4 + free + 2, { maxMs: 5 * 60_000 });
    expect(running('api')).toBe(4 + free + 2);
  });
});

describe('scale-capacity respects ECS task scale-in protection', () => {
  it('a protected task is never consolidated; once its protection ends, its instance can be', async () => {
    await loadHandler({ CONSOLIDATION: 'true' });
    // Three lightly used instances, one api task each: any two fit on the third.
    aws.world.setServiceDesiredCount(SAMPLE.cluster, 'worker', 0);
    aws.world.setServiceDesiredCount(SAMPLE.cluster, 'api', 3);
    aws.world.advance(60_000);
    const api = aws.world.tasks({ cluster: SAMPLE.cluster, service: 'api', desiredStatus: 'RUNNING' });
    expect(new Set(api.map((task) => task.ec2InstanceId)).size).toBe(3);
    // The api tasks protect themselves (UpdateTaskProtection), for 30 minutes.
    for (const task of api) setProtection(task, true, aws.world.now(), 30);

    const protectedPasses = await tickFor(10);

    expect(terminations()).toEqual([]);
    expect(inGroup()).toHaveLength(3);
    expect(api.every((task) => task.desiredStatus === 'RUNNING')).toBe(true);
    expect(protectedPasses.at(-1)?.providers[0]?.reasons?.join('\n')).toMatch(/protected from scale-in/);
    expect(aws.calls.count('ecs:GetTaskProtection')).toBeGreaterThan(0);

    // Protection over: consolidation goes on (the test would pass vacuously if it never could).
    aws.world.advance(30 * 60_000);
    const after = await tickFor(5);
    const consolidated = after.flatMap((summary) => summary.providers[0]?.removed ?? []);
    expect(consolidated.length).toBeGreaterThan(0);
  });
});

describe('scale-capacity plans a mixed instances group with the type Auto Scaling launches', () => {
  it('prioritized overrides m5.xlarge, m5.large: one m5.xlarge for seven api tasks, not three m5.large', async () => {
    aws.world.setMixedInstancesPolicy(SAMPLE.group, { overrides: ['m5.xlarge', 'm5.large'] });
    const free = aws.world.instances(SAMPLE.cluster).reduce((sum, instance) => {
      const room = aws.world.remaining(instance);
      return sum + Math.min(Math.floor(room.cpu / 512), Math.floor(room.memory / 1024));
    }, 0);
    // An m5.xlarge holds 7 api tasks (3968 CPU units after the daemon), an m5.large 3.
    aws.world.setServiceDesiredCount(SAMPLE.cluster, 'api', 4 + free + 7);
    aws.world.advance(61_000);

    const summary = await invoke(tick());

    expect(summary.providers[0]).toMatchObject({ scaleOut: 1, desiredCapacity: 4 });
    expect(summary.providers[0]?.reasons?.join('\n')).toMatch(
      /mixed instances: new instances planned as m5\.xlarge/,
    );
    const launched = inGroup().filter((instance) => instance.lifecycleState.startsWith('Pending'));
    expect(launched.map((instance) => instance.instanceType)).toEqual(['m5.xlarge']);
    aws.world.advanceUntil(() => running('api') === 4 + free + 7, { maxMs: 5 * 60_000 });
    expect(running('api')).toBe(4 + free + 7);
    expect(inGroup()).toHaveLength(4);
  });
});

describe('scale-capacity and an instance refresh', () => {
  it('an instance refresh in progress completes: protection given back on the instances it replaces, its replacements never removed as idle', async () => {
    // The first pass protects the busy instances from scale-in.
    await invoke(tick());
    const original = aws.world.groupInstances(SAMPLE.group);
    expect(original.every((instance) => instance.protectedFromScaleIn)).toBe(true);
    // Rolling refresh, default preferences: ScaleInProtectedInstances Wait (fails after an hour).
    const refresh = aws.world.startInstanceRefresh(SAMPLE.group);
    // Demand drops meanwhile: one api task is left, so the replacements stay idle for long.
    aws.world.setServiceDesiredCount(SAMPLE.cluster, 'worker', 0);
    aws.world.setServiceDesiredCount(SAMPLE.cluster, 'api', 1);

    const summaries: CapacitySummary[] = [];
    for (let minute = 0; minute < 75 && refresh.status === 'InProgress'; minute++) {
      summaries.push(await invoke(tick()));
      aws.world.advance(60_000);
    }

    expect(refresh).toMatchObject({ status: 'Successful' });
    const left = aws.world.groupInstances(SAMPLE.group).map((instance) => instance.instanceId);
    for (const instance of original) expect(left).not.toContain(instance.instanceId);
    expect(
      aws.calls
        .list('autoscaling:SetInstanceProtection')
        .some((call) => call.input.ProtectedFromScaleIn === 'false'),
    ).toBe(true);
    // scale-capacity removed none of the refresh's replacements (launched since it started), idle as
    // they were; idle instances the refresh was to replace may go.
    const replacements = new Set(
      [...aws.world.ec2.values()]
        .filter((instance) => instance.groupName === SAMPLE.group && instance.launchedAt >= refresh.startedAt)
        .map((instance) => instance.instanceId),
    );
    expect(replacements.size).toBeGreaterThan(0);
    const removed = terminations().map((call) => call.input.InstanceId);
    expect(removed.filter((id) => replacements.has(id as string))).toEqual([]);
    expect(
      summaries.some((summary) => summary.providers[0]?.reasons?.join('\n').includes('instance refresh')),
    ).toBe(true);
  });
});
