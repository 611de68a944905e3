import { describe, expect, it } from 'vitest';
import { SAMPLE, sampleWorld } from './model/sample';
import type { TaskRecord, TaskStatus } from './model/types';
import { World } from './model/world';

const SECOND = 1_000;
const MINUTE = 60_000;

function statusesOf(world: World, task: TaskRecord) {
  return world
    .events({ detailType: 'ECS Task State Change' })
    .filter((event) => event.detail.taskArn === task.arn)
    .map((event) => ({
      lastStatus: event.detail.lastStatus as TaskStatus,
      desiredStatus: event.detail.desiredStatus as string,
      version: event.detail.version as number,
    }));
}

function liveOf(world: World, service: string) {
  return world.tasks({ service, desiredStatus: 'RUNNING' });
}

describe('task lifecycle', () => {
  it('walks a standalone task through every state, with ECS timestamps, exit code and versions', () => {
    const world = sampleWorld();
    const {
      tasks: [task],
    } = world.runStandaloneTask({
      cluster: 'web',
      taskDefinition: 'report:7',
      runForMs: 5 * MINUTE,
      exitCode: 3,
      startedBy: 'nightly',
    });
    if (!task) throw new Error('not placed');
    world.advance(10 * MINUTE);

    const history = statusesOf(world, task);
    expect([...new Set(history.map((h) => h.lastStatus))]).toEqual([
      'PENDING',
      'ACTIVATING',
      'RUNNING',
      'DEACTIVATING',
      'STOPPING',
      'STOPPED',
    ]);
    const versions = history.map((h) => h.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);

    expect(task.stopCode).toBe('EssentialContainerExited');
    expect(task.stoppedReason).toBe('Essential container in task exited');
    expect(task.containers[0]?.exitCode).toBe(3);
    const times = [
      task.createdAt,
      task.pullStartedAt,
      task.pullStoppedAt,
      task.startedAt,
      task.stoppingAt,
      task.executionStoppedAt,
      task.stoppedAt,
    ];
    expect(times.every((t) => t !== undefined)).toBe(true);
    expect(times).toEqual([...times].sort((a, b) => (a ?? 0) - (b ?? 0)));
    expect((task.stoppingAt ?? 0) - (task.startedAt ?? 0)).toBe(5 * MINUTE);
  });

  it('keeps a stopped task STOPPING (desired STOPPED) for the stop timeout before STOPPED', () => {
    const world = sampleWorld();
    const [task] = liveOf(world, 'api');
    if (!task) throw new Error('no api task');
    world.stopTask(task, 'Task stopped by user');
    expect(task.desiredStatus).toBe('STOPPED');
    expect(task.lastStatus).toBe('RUNNING');
    world.advance(10 * SECOND);
    expect(task.lastStatus).toBe('STOPPING');
    world.advance(20 * SECOND);
    expect(task.lastStatus).toBe('STOPPING');
    world.advance(5 * SECOND);
    expect(task.lastStatus).toBe('STOPPED');
    expect(task.stopCode).toBe('UserInitiated');
    expect(task.containers[0]?.exitCode).toBe(137);
  });

  it('fails starts the way ECS reports them and lets the service retry into a crash loop', () => {
    const world = sampleWorld();
    world.failStarts({
      service: 'api',
      stoppedReason: 'CannotPullContainerError: pull image manifest has been retried 5 time(s): not found',
      containerReason: 'CannotPullContainerError: manifest unknown',
    });
    const [victim] = liveOf(world, 'api');
    if (!victim) throw new Error('no api task');
    world.stopTask(victim, 'Task stopped by user');
    world.advance(5 * MINUTE);

    const failed = world
      .tasks({ service: 'api', lastStatus: 'STOPPED' })
      .filter((t) => t.stopCode === 'TaskFailedToStart');
    expect(failed.length).toBeGreaterThanOrEqual(5);
    for (const task of failed) {
      expect(task.startedAt).toBeUndefined();
      expect(task.stoppedReason).toMatch(/^CannotPullContainerError/);
      expect(task.containers[0]?.reason).toBe('CannotPullContainerError: manifest unknown');
    }
    const impaired = world
      .events({ detailType: 'ECS Service Action' })
      .filter((e) => e.detail.eventName === 'SERVICE_TASK_START_IMPAIRED');
    expect(impaired).toHaveLength(1);
  });

  it('freezes the transitions of a task whose agent is disconnected until it reconnects', () => {
    const world = sampleWorld();
    const [task] = liveOf(world, 'api');
    if (!task?.ec2InstanceId) throw new Error('no api task');
    world.setAgentConnected(task.ec2InstanceId, false);
    world.stopTask(task, 'stop');
    world.advance(5 * MINUTE);
    expect(task.lastStatus).toBe('RUNNING');
    world.setAgentConnected(task.ec2InstanceId, true);
    world.advance(MINUTE);
    expect(task.lastStatus).toBe('STOPPED');
  });
});

describe('placement', () => {
  it('binpacks on memory onto the fullest instance', () => {
    const world = sampleWorld();
    const leastFree = Math.min(...world.instances('web').map((i) => world.remaining(i).memory));
    const fullest = world.instances('web').filter((i) => world.remaining(i).memory === leastFree);
    const { tasks } = world.runStandaloneTask({
      cluster: 'web',
      taskDefinition: 'report:7',
      placementStrategy: [{ type: 'binpack', field: 'memory' }],
    });
    expect(fullest.map((i) => i.arn)).toContain(tasks[0]?.containerInstanceArn);
    expect(world.instances('web').some((i) => world.remaining(i).memory > leastFree)).toBe(true);
  });

  it('spreads over availability zones and honours distinctInstance, then reports failures', () => {
    const world = sampleWorld();
    const { tasks, failures } = world.runStandaloneTask({
      cluster: 'web',
      taskDefinition: 'report:7',
      count: 4,
      group: 'family:spread-test',
      placementConstraints: [{ type: 'distinctInstance' }],
      placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }],
    });
    expect(tasks).toHaveLength(3);
    expect(new Set(tasks.map((t) => t.availabilityZone)).size).toBe(3);
    expect(failures.map((f) => f.reason)).toContain('DistinctInstance placement constraint unsatisfied.');
  });

  it('places by memberOf expressions in the cluster query language', () => {
    const world = sampleWorld();
    world.registerTaskDefinition({
      family: 'tiny',
      cpu: '64',
      memory: '64',
      containerDefinitions: [{ name: 'tiny', image: 'tiny:1' }],
    });
    const { tasks } = world.runStandaloneTask({
      cluster: 'web',
      taskDefinition: 'tiny',
      count: 3,
      placementConstraints: [
        { type: 'memberOf', expression: 'attribute:ecs.availability-zone in [us-east-1b]' },
      ],
    });
    expect(tasks.map((t) => t.availabilityZone)).toEqual(['us-east-1b', 'us-east-1b', 'us-east-1b']);
  });

  it('answers RESOURCE:CPU when no instance has the CPU, without managed scaling', () => {
    const world = sampleWorld();
    world.registerTaskDefinition({
      family: 'big',
      cpu: '4096',
      memory: '1024',
      containerDefinitions: [{ name: 'big', image: 'big:1' }],
    });
    const { tasks, failures } = world.runStandaloneTask({ cluster: 'web', taskDefinition: 'big' });
    expect(tasks).toEqual([]);
    expect(failures).toHaveLength(3);
    expect(new Set(failures.map((f) => f.reason))).toEqual(new Set(['RESOURCE:CPU']));
  });

  it('keeps unplaceable tasks in PROVISIONING with managed scaling until capacity registers', () => {
    const world = new World();
    world.createCluster('batch');
    world.registerTaskDefinition({
      family: 'job',
      cpu: '1024',
      memory: '2048',
      containerDefinitions: [{ name: 'job', image: 'job:1' }],
    });
    world.createAutoScalingGroup({
      name: 'batch-asg',
      instanceType: 'm5.large',
      cluster: 'batch',
      maxSize: 5,
    });
    world.createCapacityProvider({
      name: 'batch-cp',
      autoScalingGroup: 'batch-asg',
      managedScaling: 'ENABLED',
      cluster: 'batch',
    });
    const { tasks, failures } = world.runStandaloneTask({
      cluster: 'batch',
      taskDefinition: 'job',
      count: 2,
      capacityProviderStrategy: [{ capacityProvider: 'batch-cp', weight: 1 }],
    });
    expect(failures).toEqual([]);
    expect(tasks.map((t) => [t.lastStatus, t.containerInstanceArn])).toEqual([
      ['PROVISIONING', undefined],
      ['PROVISIONING', undefined],
    ]);
    world.setDesiredCapacity('batch-asg', 1);
    world.advance(89 * SECOND);
    expect(tasks.every((t) => t.lastStatus === 'PROVISIONING')).toBe(true);
    world.advance(30 * SECOND);
    expect(tasks.map((t) => t.lastStatus)).toEqual(['RUNNING', 'RUNNING']);
    expect(tasks[0]?.capacityProviderName).toBe('batch-cp');
  });
});

describe('draining', () => {
  function drainInstanceOne(world: World) {
    world.launchInstances(SAMPLE.group, 1, { inService: true }); // room for replacements
    const instance = world.findContainerInstance(SAMPLE.instances[0]);
    if (!instance) throw new Error('missing instance');
    return instance;
  }

  it('replaces service tasks within minimumHealthyPercent, leaves standalone tasks, stops daemons last', () => {
    const world = sampleWorld();
    const instance = drainInstanceOne(world);
    const { tasks: standalone } = world.runStandaloneTask({
      cluster: 'web',
      taskDefinition: 'report:7',
      onInstances: [instance.arn],
    });
    world.advance(MINUTE);
    expect(world.setContainerInstanceStatus(instance, 'DRAINING')).toBeUndefined();

    let lowestApiRunning = Number.POSITIVE_INFINITY;
    let daemonStoppedAt: number | undefined;
    let lastServiceTaskStoppedAt = 0;
    for (let t = 0; t < 5 * MINUTE; t += SECOND) {
      world.advance(SECOND);
      lowestApiRunning = Math.min(
        lowestApiRunning,
        world.tasks({ service: 'api', lastStatus: 'RUNNING' }).length,
      );
      const onInstance = world.tasksOn(instance);
      if (onInstance.some((task) => task.serviceName === 'api' || task.serviceName === 'worker')) {
        lastServiceTaskStoppedAt = world.now();
      }
      if (daemonStoppedAt === undefined && !onInstance.some((task) => task.serviceName === 'log-router')) {
        daemonStoppedAt = world.now();
      }
    }
    // minimumHealthyPercent 100: never fewer than 4 api tasks RUNNING during the drain.
    expect(lowestApiRunning).toBe(4);
    expect(world.tasksOn(instance).map((task) => task.family)).toEqual(['report']);
    expect(standalone[0]?.lastStatus).toBe('RUNNING');
    expect(daemonStoppedAt).toBeGreaterThan(lastServiceTaskStoppedAt);
    expect(liveOf(world, 'api')).toHaveLength(4);
    expect(liveOf(world, 'api').every((task) => task.containerInstanceArn !== instance.arn)).toBe(true);
  });

  it('never finishes a drain when there is no room elsewhere', () => {
    const world = sampleWorld();
    const instance = world.findContainerInstance(SAMPLE.instances[0]);
    if (!instance) throw new Error('missing instance');
    world.setContainerInstanceStatus(instance, 'DRAINING');
    world.advance(10 * MINUTE);
    expect(world.tasksOn(instance).some((task) => task.serviceName === 'api')).toBe(true);
    const failure = world
      .events({ detailType: 'ECS Service Action' })
      .find((e) => e.detail.eventName === 'SERVICE_TASK_PLACEMENT_FAILURE');
    expect(failure?.detail).toMatchObject({
      eventType: 'ERROR',
      reason: 'RESOURCE:CPU',
      clusterArn: SAMPLE.clusterArn,
      capacityProviderArns: ['arn:aws:ecs:us-east-1:123456789012:capacity-provider/web-asg-cp'],
    });
    expect(failure?.resources).toEqual(['arn:aws:ecs:us-east-1:123456789012:service/web/api']);
  });

  it('stops PENDING service tasks on a draining instance at once', () => {
    const world = sampleWorld();
    const instance = drainInstanceOne(world);
    world.setServiceDesiredCount('web', 'api', 6);
    const pending = world.tasks({ service: 'api', lastStatus: 'PENDING' });
    const onInstance = pending.find((task) => task.containerInstanceArn === instance.arn);
    if (!onInstance) {
      // Placement chose the other instances; nothing pending to stop on this one.
      expect(pending.length).toBeGreaterThan(0);
      return;
    }
    world.setContainerInstanceStatus(instance, 'DRAINING');
    expect(onInstance.desiredStatus).toBe('STOPPED');
    expect(onInstance.stopCode).toBe('ServiceSchedulerInitiated');
  });
});

describe('Auto Scaling', () => {
  it('boots new instances for the boot delay, then registers them with the cluster', () => {
    const world = sampleWorld();
    world.setDesiredCapacity(SAMPLE.group, 4);
    const pending = world.group(SAMPLE.group)?.instances.find((i) => i.lifecycleState === 'Pending');
    expect(pending).toBeDefined();
    world.advance(89 * SECOND);
    expect(world.findContainerInstance(pending?.instanceId ?? '')).toBeUndefined();
    world.advance(SECOND);
    const registered = world.findContainerInstance(pending?.instanceId ?? '');
    expect(registered?.status).toBe('ACTIVE');
    expect(registered?.capacityProviderName).toBe(SAMPLE.capacityProvider);
    expect(world.group(SAMPLE.group)?.instances.map((i) => i.lifecycleState)).toEqual(
      Array(4).fill('InService'),
    );
    // Its log-router daemon task follows.
    world.advance(MINUTE);
    expect(registered && world.tasksOn(registered).map((t) => t.family)).toEqual(['log-router']);
  });

  it('scales in an unprotected instance through the terminate hook, with the event AWS sends', () => {
    const world = sampleWorld();
    world.setInstanceProtection(SAMPLE.group, [SAMPLE.instances[0], SAMPLE.instances[1]], true);
    world.setDesiredCapacity(SAMPLE.group, 2);
    const waiting = world
      .group(SAMPLE.group)
      ?.instances.filter((i) => i.lifecycleState === 'Terminating:Wait');
    expect(waiting?.map((i) => i.instanceId)).toEqual([SAMPLE.instances[2]]);
    const [event] = world.takeEvents({ detailType: 'EC2 Instance-terminate Lifecycle Action' });
    expect(event).toMatchObject({
      version: '0',
      source: 'aws.autoscaling',
      account: SAMPLE.account,
      region: SAMPLE.region,
      time: '2025-01-15T03:00:00Z',
      detail: {
        AutoScalingGroupName: SAMPLE.group,
        LifecycleHookName: SAMPLE.hook,
        EC2InstanceId: SAMPLE.instances[2],
        LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
        NotificationMetadata: '{"cluster":"web"}',
        Origin: 'AutoScalingGroup',
        Destination: 'EC2',
      },
    });
    expect(event?.resources[0]).toMatch(
      /^arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:.+:autoScalingGroupName\/web-asg$/,
    );
    world.completeLifecycleAction({
      group: SAMPLE.group,
      hook: SAMPLE.hook,
      token: String(event?.detail.LifecycleActionToken),
      result: 'CONTINUE',
    });
    expect(
      world.group(SAMPLE.group)?.instances.find((i) => i.instanceId === SAMPLE.instances[2])?.lifecycleState,
    ).toBe('Terminating:Proceed');
    world.advance(30 * SECOND);
    expect(world.group(SAMPLE.group)?.instances.map((i) => i.instanceId)).toEqual(
      SAMPLE.instances.slice(0, 2),
    );
    const instance = world.findContainerInstance(SAMPLE.instances[2]);
    expect(instance?.status).toBe('INACTIVE');
    expect(instance && world.tasksOn(instance)).toEqual([]);
  });

  it('applies the default result when the heartbeat timeout passes, and heartbeats push it back', () => {
    const world = sampleWorld();
    world.terminateInstanceInGroup(SAMPLE.instances[0], true);
    world.advance(200 * SECOND);
    world.recordLifecycleActionHeartbeat({
      group: SAMPLE.group,
      hook: SAMPLE.hook,
      instanceId: SAMPLE.instances[0],
    });
    world.advance(200 * SECOND);
    const [action] = world.lifecycleActions({ instanceId: SAMPLE.instances[0] });
    expect(action?.completedAt).toBeUndefined();
    world.advance(100 * SECOND);
    expect(action).toMatchObject({ result: 'CONTINUE', completedBy: 'timeout', heartbeats: 1 });
    expect(action?.completedAt).toBe(action ? action.startedAt + 500 * SECOND : 0);
  });

  it('ends an action at the global timeout whatever the heartbeats', () => {
    const world = sampleWorld();
    world.putLifecycleHook({
      group: SAMPLE.group,
      name: SAMPLE.hook,
      heartbeatTimeoutSeconds: 30,
      defaultResult: 'ABANDON',
    });
    world.terminateInstanceInGroup(SAMPLE.instances[0], true);
    for (let t = 0; t < 200; t++) {
      world.advance(20 * SECOND);
      if (world.lifecycleActions({ active: true }).length === 0) break;
      world.recordLifecycleActionHeartbeat({
        group: SAMPLE.group,
        hook: SAMPLE.hook,
        instanceId: SAMPLE.instances[0],
      });
    }
    const [action] = world.lifecycleActions({ instanceId: SAMPLE.instances[0] });
    expect(action?.completedBy).toBe('timeout');
    expect((action?.completedAt ?? 0) - (action?.startedAt ?? 0)).toBe(100 * 30 * SECOND);
  });

  it('replaces an instance terminated without decrementing the desired capacity', () => {
    const world = sampleWorld();
    world.terminateInstanceInGroup(SAMPLE.instances[1], false);
    const instances = world.group(SAMPLE.group)?.instances ?? [];
    expect(instances.map((i) => i.lifecycleState).sort()).toEqual([
      'InService',
      'InService',
      'Pending',
      'Terminating:Wait',
    ]);
    expect(instances.find((i) => i.lifecycleState === 'Pending')?.availabilityZone).toBe('us-east-1b');
  });

  it('interrupts a Spot instance: warning now, hook started, instance gone two minutes later, replaced', () => {
    const world = sampleWorld();
    world.interruptSpot(SAMPLE.instances[0]);
    const events = world.takeEvents();
    expect(events.map((e) => e['detail-type'])).toEqual([
      'EC2 Spot Instance Interruption Warning',
      'EC2 Instance-terminate Lifecycle Action',
    ]);
    expect(events[0]).toMatchObject({
      source: 'aws.ec2',
      resources: [`arn:aws:ec2:us-east-1a:instance/${SAMPLE.instances[0]}`],
      detail: { 'instance-id': SAMPLE.instances[0], 'instance-action': 'terminate' },
    });
    world.advance(2 * MINUTE);
    const instance = world.findContainerInstance(SAMPLE.instances[0]);
    expect(instance?.status).toBe('INACTIVE');
    const stopped = world.tasks({ instance: instance?.arn ?? '' });
    expect(stopped.every((t) => t.lastStatus === 'STOPPED' && t.stoppedReason?.startsWith('Host EC2'))).toBe(
      true,
    );
    expect(world.group(SAMPLE.group)?.instances.filter((i) => i.lifecycleState === 'Pending')).toHaveLength(
      1,
    );
  });
});

describe('the model as a whole', () => {
  it('replays identically from the same seed', () => {
    const a = sampleWorld();
    const b = sampleWorld();
    expect(a.tasks().map((t) => [t.arn, t.containerInstanceArn])).toEqual(
      b.tasks().map((t) => [t.arn, t.containerInstanceArn]),
    );
    expect(sampleWorld({ seed: 1 }).tasks()[0]?.arn).not.toBe(a.tasks()[0]?.arn);
  });

  it('emits task and container instance events in the envelope EventBridge delivers', () => {
    const world = sampleWorld();
    const [task] = liveOf(world, 'worker');
    if (!task) throw new Error('no worker');
    world.stopTask(task, 'scale test');
    const [event] = world.takeEvents({ detailType: 'ECS Task State Change' });
    expect(Object.keys(event ?? {}).sort()).toEqual(
      ['account', 'detail', 'detail-type', 'id', 'region', 'resources', 'source', 'time', 'version'].sort(),
    );
    expect(event?.detail).toMatchObject({
      taskArn: task.arn,
      clusterArn: SAMPLE.clusterArn,
      lastStatus: 'RUNNING',
      desiredStatus: 'STOPPED',
      group: 'service:worker',
      launchType: 'EC2',
      capacityProviderName: SAMPLE.capacityProvider,
      stopCode: 'UserInitiated',
      stoppedReason: 'scale test',
      containerInstanceArn: task.containerInstanceArn,
    });
    expect(typeof event?.detail.startedAt).toBe('string');
    expect(event?.detail.tags).toBeUndefined();

    const instance = world.findContainerInstance(SAMPLE.instances[1]);
    if (!instance) throw new Error('missing');
    world.setContainerInstanceStatus(instance, 'DRAINING');
    const [change] = world.takeEvents({ detailType: 'ECS Container Instance State Change' });
    expect(change?.detail).toMatchObject({
      status: 'DRAINING',
      ec2InstanceId: SAMPLE.instances[1],
      clusterArn: SAMPLE.clusterArn,
      agentConnected: true,
    });
  });
});
