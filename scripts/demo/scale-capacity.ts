// Demo: the api service is scaled from 4 to 16 tasks. ECS cannot place them and says so; seconds later
// scale-capacity simulates the placement and raises web-asg by exactly the instances the missing tasks
// need. When the burst is over, the instances left with only the log-router daemon are removed (through
// the terminate hook, so drain-instance would drain them) once idle for SCALE_IN_AFTER_SECONDS.
import { placementFailurePattern } from '../../functions/scale-capacity/rules';
import { matchesPattern } from '../../test/infra/event-pattern';
import { SAMPLE, scheduledEvent } from '../../test/local-aws/index';
import type { DemoScenario } from './types';

interface Summary {
  status: string;
  providers: {
    status: string;
    scaleOut?: number;
    lowerBound?: number;
    desiredCapacity?: number;
    removed?: string[];
    reasons?: string[];
  }[];
}

const tick = (now: number) => scheduledEvent('ecs-autopilot-scale-capacity-tick', now);

export const scenario: DemoScenario = {
  title: 'A burst of service tasks answered by exactly enough instances, then idle ones removed',
  function: 'scale-capacity',
  env: { CAPACITY_PROVIDERS: SAMPLE.capacityProvider, SCALE_IN_AFTER_SECONDS: '300', MAX_SCALE_IN: '50%' },
  async run({ aws, narrate, invoke }) {
    const { world } = aws;
    const group = () => world.group(SAMPLE.group);
    const apiRunning = () =>
      world.tasks({ service: 'api', lastStatus: 'RUNNING', desiredStatus: 'RUNNING' }).length;
    const start = world.now();
    const clock = () => `+${Math.round((world.now() - start) / 1000)} s`;
    narrate(
      `web-asg has ${group()?.desiredCapacity} m5.large instances; api runs ${apiRunning()} tasks (512 CPU, 1024 MiB each).`,
    );

    world.setServiceDesiredCount(SAMPLE.cluster, 'api', 16);
    narrate('api is scaled to 16 tasks.');
    let failure: unknown;
    world.advanceUntil(
      () => {
        failure ??= world
          .takeEvents({ detailType: 'ECS Service Action' })
          .find((event) => matchesPattern(placementFailurePattern([SAMPLE.clusterArn]), event));
        return failure !== undefined;
      },
      { maxMs: 120_000, stepMs: 1_000 },
    );
    if (!failure) return { ok: false, summary: 'ECS reported no placement failure' };
    const starting = world.tasks({ service: 'api', desiredStatus: 'RUNNING' }).length - apiRunning();
    narrate(
      `${clock()} ECS: SERVICE_TASK_PLACEMENT_FAILURE for api (${apiRunning()} running, ${starting} starting on room that was left, ${16 - apiRunning() - starting} without room).`,
    );
    const out = (await invoke('scale-capacity', failure)) as Summary;
    const decision = out.providers[0];
    for (const reason of decision?.reasons ?? []) narrate(`  scale-capacity: ${reason}`);
    const grownTo = group()?.desiredCapacity ?? 0;

    world.advanceUntil(() => apiRunning() === 16, { maxMs: 10 * 60_000, stepMs: 5_000 });
    narrate(
      `${clock()} the new instances registered; api runs ${apiRunning()} tasks on ${group()?.instances.length} instances.`,
    );

    world.setServiceDesiredCount(SAMPLE.cluster, 'api', 4);
    world.advance(60_000);
    narrate(`${clock()} the burst is over: api back to 4 tasks.`);
    const removed: string[] = [];
    for (let minute = 0; minute < 8; minute++) {
      const pass = (await invoke('scale-capacity', tick(world.now()))) as Summary;
      const gone = pass.providers[0]?.removed ?? [];
      if (gone.length > 0)
        narrate(
          `${clock()} scale-capacity removes ${gone.join(', ')} (idle 300 s, through the terminate hook).`,
        );
      removed.push(...gone);
      world.advance(60_000);
    }
    world.advance(6 * 60_000);
    narrate(
      `${clock()} web-asg desired ${group()?.desiredCapacity}, ${group()?.instances.length} instances; api still runs ${apiRunning()} tasks.`,
    );
    const exact = (decision?.scaleOut ?? 0) > 0 && decision?.scaleOut === decision?.lowerBound;
    const left = group()?.instances.length ?? 0;
    return {
      ok: exact && removed.length > 0 && left === grownTo - removed.length && apiRunning() === 4,
      summary: `burst of api tasks -> +${decision?.scaleOut} instances (= the lower bound), all placed; ${removed.length} idle instances removed after it`,
    };
  },
};
