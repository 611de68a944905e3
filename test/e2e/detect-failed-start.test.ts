// detect-failed-start end to end: the real handler and SDK clients against the local endpoint's
// simulated cluster. A service whose image cannot be pulled keeps failing; its task state change events
// come from the world, filtered by the function's own EventBridge pattern, and are delivered at least
// once (twice here), as EventBridge does.
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stoppedBeforeRunningPattern } from '../../functions/detect-failed-start/rules';
import { matchesPattern } from '../infra/event-pattern';
import { type LocalAws, SAMPLE, startLocalAws } from '../local-aws/index';
import { lambdaContext } from '../local-aws/lambda';
import { useLocalAwsEnv, useWorldClock } from '../local-aws/vitest';

type Result = { status: string; category?: string; failedInWindow?: number };
type Summary = { status: string; results: Result[]; scanned?: number };
type Handler = (event: unknown, context: Context) => Promise<Summary>;

const ECR = `${SAMPLE.account}.dkr.ecr.${SAMPLE.region}.amazonaws.com`;
const BAD_IMAGE = `${ECR}/api:1.4.3`;
const PULL_ERROR = `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ${BAD_IMAGE}: ${BAD_IMAGE}: not found`;
const TICK = {
  version: '0',
  id: 'reconcile-tick',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: SAMPLE.account,
  time: '2025-01-15T03:30:00Z',
  region: SAMPLE.region,
  resources: [`arn:aws:events:${SAMPLE.region}:${SAMPLE.account}:rule/ecs-autopilot-detect-failed-start`],
  detail: {},
};

let aws: LocalAws;
let handler: Handler;
let request = 0;

const invoke = (event: unknown) =>
  handler(
    event,
    lambdaContext({ functionName: 'detect-failed-start', timeoutMs: 60_000, requestId: `r-${++request}` }),
  );

beforeAll(async () => {
  aws = await startLocalAws({ seed: 'sample' });
  useLocalAwsEnv(aws, {
    ALERT_WINDOW_SECONDS: '900',
    GROUP_WAIT_SECONDS: '0',
    DRY_RUN: 'false',
    CLUSTERS: SAMPLE.cluster,
  });
  useWorldClock(aws);
  ({ handler } = (await import('../../functions/detect-failed-start/index')) as unknown as {
    handler: Handler;
  });
});

afterAll(async () => {
  await aws?.close();
});

/** A new revision of api whose image does not exist, run by a new service `checkout`. */
function deployUnpullableService(desiredCount: number) {
  const definition = aws.world.registerTaskDefinition({
    family: 'api',
    containerDefinitions: [
      {
        name: 'api',
        image: BAD_IMAGE,
        cpu: 512,
        memoryReservation: 1024,
        portMappings: [{ containerPort: 8080, hostPort: 0, protocol: 'tcp' }],
        logConfiguration: {
          logDriver: 'awslogs',
          options: {
            'awslogs-group': '/ecs/api',
            'awslogs-region': SAMPLE.region,
            'awslogs-stream-prefix': 'ecs',
          },
        },
      },
    ],
  });
  aws.world.failStarts({
    taskDefinition: `api:${definition.revision}`,
    stoppedReason: PULL_ERROR,
    containerReason: PULL_ERROR,
  });
  aws.world.createService({
    cluster: SAMPLE.cluster,
    name: 'checkout',
    taskDefinition: `api:${definition.revision}`,
    desiredCount,
  });
  return definition;
}

/** Moves the world on, delivering each matching event (twice) until `failures` tasks failed to start. */
async function runUntilFailures(failures: number, options: { drop?: (n: number) => boolean } = {}) {
  const results: Result[] = [];
  let seen = 0;
  for (let step = 0; step < 2_000 && seen < failures; step++) {
    aws.world.advance(5_000);
    for (const event of aws.world.takeEvents({ detailType: 'ECS Task State Change' })) {
      if (!matchesPattern(stoppedBeforeRunningPattern, event) || seen >= failures) continue;
      seen++;
      if (options.drop?.(seen)) continue; // lost by EventBridge
      for (const delivery of [1, 2]) {
        const summary = await invoke(event);
        expect(summary.status, `delivery ${delivery}`).toBe('ok');
        results.push(...summary.results);
      }
    }
  }
  expect(seen).toBe(failures);
  return results;
}

const count = (results: readonly Result[], status: string) =>
  results.filter((r) => r.status === status).length;

describe('a service with an unpullable image', () => {
  beforeEach(async () => {
    await aws.reset('sample');
  });

  it('fails 20 times and gives one alert that names the image and the fix', async () => {
    const started = aws.world.now();
    deployUnpullableService(3);
    const results = await runUntilFailures(20);

    // Every failure counted once; every second delivery recognised as a duplicate.
    expect(count(results, 'alerted')).toBe(1);
    expect(count(results, 'counted')).toBe(19);
    expect(count(results, 'duplicate')).toBe(20);
    expect(aws.world.now() - started).toBeLessThan(900_000); // all inside one alert window

    const publications = aws.world.snsPublications(SAMPLE.topicArn);
    expect(publications).toHaveLength(1);
    const [alert] = publications;
    const email = alert?.textFor('email') ?? '';
    expect(alert?.subject).toBe('[web] service checkout failed to start: Image not found');
    expect(email).toContain(`Image ${BAD_IMAGE} was not found in Amazon ECR.`);
    expect(email).toContain('Push the image or fix the image URI in the task definition');
    expect(email).toContain('https://us-east-1.console.aws.amazon.com/ecs/v2/clusters/web/services/checkout');
    const machine = JSON.parse(alert?.textFor('sqs') ?? '{}') as Record<string, unknown>;
    expect(machine).toMatchObject({ category: 'image-pull', service: 'checkout', cluster: 'web' });
  });

  it('still counts failures whose events were lost, on the next reconcile pass, without a second alert', async () => {
    deployUnpullableService(2);
    const results = await runUntilFailures(6, { drop: (n) => n === 3 || n === 5 });
    expect(count(results, 'alerted') + count(results, 'counted')).toBe(4);

    const tick = await invoke({ ...TICK, time: new Date(aws.world.now()).toISOString() });
    expect(tick.results.map((result) => result.status).sort()).toEqual(['counted', 'counted']);
    expect(aws.world.snsPublications(SAMPLE.topicArn)).toHaveLength(1);

    // A second pass finds nothing new.
    const again = await invoke({ ...TICK, time: new Date(aws.world.now()).toISOString() });
    expect(again.results).toEqual([]);
  });

  it('repeats after the window with how many failed in all and since the last message', async () => {
    deployUnpullableService(1);
    await runUntilFailures(3);
    aws.world.advance(900_000);
    // Failures of the quiet time belong to the first window (windows follow stoppedAt): not delivered here.
    aws.world.takeEvents({ detailType: 'ECS Task State Change' });
    const later = await runUntilFailures(1);
    expect(count(later, 'alerted')).toBe(1);
    const publications = aws.world.snsPublications(SAMPLE.topicArn);
    expect(publications).toHaveLength(2);
    expect(publications[1]?.subject).toBe(publications[0]?.subject);
    expect(publications[1]?.textFor('email')).toMatch(
      /Still failing since .*: \d+ failures in all, \d+ since the last message/,
    );
  });
});
