/** The sample universe (test/local-aws/README.md, "The sample seed"): cluster `web` on Auto Scaling group `web-asg`, three instances. */
import { World, type WorldOptions } from './world';

export const SAMPLE = {
  account: '123456789012',
  region: 'us-east-1',
  cluster: 'web',
  clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/web',
  group: 'web-asg',
  instanceType: 'm5.large',
  hook: 'ecs-autopilot-drain',
  capacityProvider: 'web-asg-cp',
  instances: ['i-0a1b2c3d4e5f60001', 'i-0a1b2c3d4e5f60002', 'i-0a1b2c3d4e5f60003'],
  availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
  taskDefinitions: { api: 'api:3', worker: 'worker:5', logRouter: 'log-router:2', report: 'report:7' },
  services: { api: 'api', worker: 'worker', logRouter: 'log-router' },
  job: 'nightly-report',
  topicName: 'ecs-autopilot-alerts',
  topicArn: 'arn:aws:sns:us-east-1:123456789012:ecs-autopilot-alerts',
  table: 'ecs-autopilot-state',
  /** The sample world's clock after seeding (everything RUNNING). */
  now: Date.parse('2025-01-15T03:00:00.000Z'),
  /** How long the sample `report` job runs before exiting 0. */
  reportRunMs: 10 * 60_000,
} as const;

const SEEDING_MS = 5 * 60_000;

function registerRevisions(
  world: World,
  count: number,
  build: (revision: number) => Parameters<World['registerTaskDefinition']>[0],
) {
  for (let revision = 1; revision <= count; revision++) world.registerTaskDefinition(build(revision));
}

/** A new world holding the sample universe, settled: all tasks RUNNING, clock at {@link SAMPLE.now}. */
export function sampleWorld(options: Omit<WorldOptions, 'start'> = {}): World {
  const world = new World({ ...options, start: SAMPLE.now - SEEDING_MS });
  seedSample(world);
  world.advance(SEEDING_MS);
  world.takeEvents(); // seeding history stays in events(); takeEvents() starts fresh
  return world;
}

export function seedSample(world: World): void {
  world.createCluster(SAMPLE.cluster);
  world.createTopic(SAMPLE.topicName);

  registerRevisions(world, 3, (revision) => ({
    family: 'api',
    networkMode: 'bridge',
    containerDefinitions: [
      {
        name: 'api',
        image: `123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1.4.${revision - 1}`,
        cpu: 512,
        memoryReservation: 1024,
        essential: true,
        portMappings: [{ containerPort: 8080, hostPort: 0, protocol: 'tcp' }],
        logConfiguration: {
          logDriver: 'awslogs',
          options: {
            'awslogs-group': '/ecs/api',
            'awslogs-region': 'us-east-1',
            'awslogs-stream-prefix': 'ecs',
          },
        },
      },
    ],
  }));
  registerRevisions(world, 5, (revision) => ({
    family: 'worker',
    networkMode: 'awsvpc',
    cpu: '1024',
    memory: '2048',
    containerDefinitions: [
      {
        name: 'worker',
        image: `123456789012.dkr.ecr.us-east-1.amazonaws.com/worker:2.${revision}.0`,
        essential: true,
        logConfiguration: {
          logDriver: 'awslogs',
          options: {
            'awslogs-group': '/ecs/worker',
            'awslogs-region': 'us-east-1',
            'awslogs-stream-prefix': 'ecs',
          },
        },
      },
    ],
  }));
  registerRevisions(world, 2, () => ({
    family: 'log-router',
    networkMode: 'bridge',
    cpu: '128',
    memory: '256',
    containerDefinitions: [
      {
        name: 'log-router',
        image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.0',
        essential: true,
      },
    ],
  }));
  registerRevisions(world, 7, () => ({
    family: 'report',
    networkMode: 'bridge',
    cpu: '256',
    memory: '512',
    containerDefinitions: [
      {
        name: 'report',
        image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/report:3.0.1',
        essential: true,
        command: ['node', 'report.js'],
        logConfiguration: {
          logDriver: 'awslogs',
          options: {
            'awslogs-group': '/ecs/report',
            'awslogs-region': 'us-east-1',
            'awslogs-stream-prefix': 'ecs',
          },
        },
      },
    ],
  }));
  world.setTaskScript('report', { runForMs: SAMPLE.reportRunMs, exitCode: 0 });

  world.createAutoScalingGroup({
    name: SAMPLE.group,
    instanceType: SAMPLE.instanceType,
    minSize: 0,
    maxSize: 10,
    availabilityZones: [...SAMPLE.availabilityZones],
    cluster: SAMPLE.cluster,
    tags: [{ key: 'ecs-autopilot:cluster', value: SAMPLE.cluster }],
  });
  world.putLifecycleHook({
    group: SAMPLE.group,
    name: SAMPLE.hook,
    transition: 'autoscaling:EC2_INSTANCE_TERMINATING',
    heartbeatTimeoutSeconds: 300,
    defaultResult: 'CONTINUE',
    notificationMetadata: JSON.stringify({ cluster: SAMPLE.cluster }),
  });
  world.createCapacityProvider({
    name: SAMPLE.capacityProvider,
    autoScalingGroup: SAMPLE.group,
    managedScaling: 'DISABLED',
    cluster: SAMPLE.cluster,
  });
  world.clusters.get(SAMPLE.cluster)?.defaultCapacityProviderStrategy.push({
    capacityProvider: SAMPLE.capacityProvider,
    weight: 1,
    base: 0,
  });
  world.launchInstances(SAMPLE.group, 3, {
    inService: true,
    ids: [...SAMPLE.instances],
    availabilityZones: [...SAMPLE.availabilityZones],
  });

  const strategy = [{ capacityProvider: SAMPLE.capacityProvider, weight: 1, base: 0 }];
  world.createService({
    cluster: SAMPLE.cluster,
    name: SAMPLE.services.logRouter,
    taskDefinition: SAMPLE.taskDefinitions.logRouter,
    schedulingStrategy: 'DAEMON',
  });
  world.createService({
    cluster: SAMPLE.cluster,
    name: SAMPLE.services.api,
    taskDefinition: SAMPLE.taskDefinitions.api,
    desiredCount: 4,
    capacityProviderStrategy: strategy,
  });
  world.createService({
    cluster: SAMPLE.cluster,
    name: SAMPLE.services.worker,
    taskDefinition: SAMPLE.taskDefinitions.worker,
    desiredCount: 2,
    capacityProviderStrategy: strategy,
  });
}

/** The event an EventBridge schedule rule of the sample account delivers at `at` (epoch ms). */
export function scheduledEvent(rule: string, at: number) {
  return {
    version: '0',
    id: `tick-${at}`,
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: SAMPLE.account,
    time: new Date(at).toISOString(),
    region: SAMPLE.region,
    resources: [`arn:aws:events:${SAMPLE.region}:${SAMPLE.account}:rule/${rule}`],
    detail: {},
  };
}
