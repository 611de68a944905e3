/**
 * The local AWS endpoint: a simulated ECS cluster, Auto Scaling groups and SNS behind one HTTP
 * endpoint the real SDK clients talk to, with DynamoDB served by dynalite. See README.md.
 */
import type { Server } from 'node:http';
import { CallLog } from './calls';
import { startDynamo } from './dynamodb';
import { type FaultConfig, FaultInjector } from './faults';
import { SAMPLE, sampleWorld } from './model/sample';
import { World, type WorldOptions } from './model/world';
import { startEndpoint } from './server/http';
import { EcsThrottling } from './throttling';

export type { CallRecord } from './calls';
export { CallLog } from './calls';
export type { FaultConfig } from './faults';
export { FaultInjector } from './faults';
export { AwsApiError } from './model/errors';
export { SAMPLE, sampleWorld, scheduledEvent, seedSample } from './model/sample';
export type * from './model/types';
export type {
  LaunchResult,
  StartFailureSpec,
  TaskDefinitionInput,
  Timings,
  WorldOptions,
} from './model/world';
export { DEFAULT_TIMINGS, World } from './model/world';
export type { BucketCount } from './throttling';

export type Seed = 'sample' | 'empty';

export interface StartOptions {
  /** `sample` (default): the sample universe of model/sample.ts (see README.md), settled; `empty`: nothing at all. */
  seed?: Seed;
  /** Fault rules active from the start (more can be added with `faults.set`). */
  faults?: FaultConfig | FaultConfig[];
  /** Clock start, random seed and timings of the world. */
  world?: WorldOptions;
  /** Seed of the fault injector's draws (default 7). */
  faultSeed?: number;
}

export interface LocalAws {
  /** ECS's request throttling by token bucket per group of operations: off until `enable()`. */
  readonly throttling: EcsThrottling;
  /** http://127.0.0.1:<port>: set AWS_ENDPOINT_URL to it before the SDK clients are built. */
  readonly endpoint: string;
  /**
   * The state table's DynamoDB behind the endpoint's back, for a test that inspects what the functions
   * wrote (a Scan of the whole table): not recorded, faulted or throttled, so it is not taken for one of
   * the functions' requests (scripts/check-requests.py checks those against their grants).
   */
  readonly tableInspectionEndpoint: string;
  /** The current world (replaced by reset(): read it through this property each time). */
  readonly world: World;
  readonly faults: FaultInjector;
  readonly calls: CallLog;
  /** A fresh world and empty DynamoDB on the same endpoint (module-scope SDK clients keep working). */
  reset(seed?: Seed, world?: WorldOptions): Promise<void>;
  /** Environment for a function run against this endpoint (endpoint, region, fake credentials, sample names). */
  env(): Record<string, string>;
  /** Called with the world's time after every advance and reset (e.g. to move a faked Date). */
  onClockChange(listener: (now: number) => void): () => void;
  close(): Promise<void>;
}

export async function startLocalAws(options: StartOptions = {}): Promise<LocalAws> {
  const dynamo = await startDynamo();
  const faults = new FaultInjector(options.faultSeed);
  const calls = new CallLog();
  const listeners = new Set<(now: number) => void>();
  let world: World = new World();
  let unsubscribe = () => {};

  async function build(seed: Seed, worldOptions: WorldOptions = {}) {
    unsubscribe();
    await dynamo.reset();
    if (seed === 'sample') {
      world = sampleWorld(worldOptions);
      await dynamo.createStateTable(SAMPLE.table);
    } else {
      world = new World(worldOptions);
    }
    unsubscribe = world.onClockChange((now) => {
      for (const listener of listeners) listener(now);
    });
    for (const listener of listeners) listener(world.now());
  }

  await build(options.seed ?? 'sample', options.world);
  for (const rule of [options.faults ?? []].flat()) faults.set(rule);

  // Buckets refill with real time (calls within a pass) plus simulated time (advances between passes).
  const realStart = performance.now();
  let simulatedMs = 0;
  let worldNow = world.now();
  listeners.add((now) => {
    simulatedMs += Math.max(0, now - worldNow);
    worldNow = now;
  });
  const throttling = new EcsThrottling(() => performance.now() - realStart + simulatedMs);

  const { server, endpoint } = await startEndpoint({
    world: () => world,
    faults,
    throttling,
    calls,
    dynamoPort: dynamo.port,
    dynamoShim: dynamo.shim,
  });

  return {
    endpoint,
    tableInspectionEndpoint: `http://127.0.0.1:${dynamo.port}`,
    get world() {
      return world;
    },
    faults,
    calls,
    throttling,
    async reset(seed = 'sample', worldOptions) {
      faults.clear();
      throttling.disable();
      calls.clear();
      await build(seed, worldOptions);
    },
    env() {
      return {
        AWS_ENDPOINT_URL: endpoint,
        AWS_REGION: SAMPLE.region,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        STATE_TABLE: SAMPLE.table,
        ALERT_TOPIC_ARN: SAMPLE.topicArn,
        DEFAULT_CLUSTER: SAMPLE.cluster,
      };
    },
    onClockChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      unsubscribe();
      listeners.clear();
      await closeServer(server);
      await dynamo.close();
    },
  };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}
