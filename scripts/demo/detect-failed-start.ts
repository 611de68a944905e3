// Demo: a deployment points a service at an image tag that was never pushed. Its tasks fail to start
// again and again; detect-failed-start explains the first failure in one alert and counts the rest.
import { stoppedBeforeRunningPattern } from '../../functions/detect-failed-start/rules';
import { matchesPattern } from '../../test/infra/event-pattern';
import { SAMPLE } from '../../test/local-aws/index';
import type { DemoScenario } from './types';

const FAILURES = 12;
const IMAGE = `${SAMPLE.account}.dkr.ecr.${SAMPLE.region}.amazonaws.com/api:1.4.3`;
const PULL_ERROR = `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ${IMAGE}: ${IMAGE}: not found`;

type Summary = { results?: { status: string }[] };

export const scenario: DemoScenario = {
  title: 'A bad image tag: a dozen failed starts, one alert that says why',
  function: 'detect-failed-start',
  env: { ALERT_WINDOW_SECONDS: '900', GROUP_WAIT_SECONDS: '0', ALERT_ON_INTENTIONAL_STOPS: 'false' },
  async run({ aws, narrate, invoke }) {
    const { world } = aws;
    const definition = world.registerTaskDefinition({
      family: 'api',
      containerDefinitions: [
        {
          name: 'api',
          image: IMAGE,
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
    world.failStarts({
      taskDefinition: `api:${definition.revision}`,
      stoppedReason: PULL_ERROR,
      containerReason: PULL_ERROR,
    });
    world.createService({
      cluster: SAMPLE.cluster,
      name: 'checkout',
      taskDefinition: `api:${definition.revision}`,
      desiredCount: 3,
    });
    narrate(
      `Service checkout (3 tasks) is deployed with api:${definition.revision}, whose image ${IMAGE} was never pushed.`,
    );

    const statuses: string[] = [];
    let failures = 0;
    const started = world.now();
    for (let step = 0; step < 1_000 && failures < FAILURES; step++) {
      world.advance(5_000);
      for (const event of world.takeEvents({ detailType: 'ECS Task State Change' })) {
        if (failures >= FAILURES || !matchesPattern(stoppedBeforeRunningPattern, event)) continue;
        failures++;
        const summary = (await invoke('detect-failed-start', event)) as Summary;
        statuses.push(...(summary.results ?? []).map((result) => result.status));
      }
    }
    const minutes = Math.round((world.now() - started) / 60_000);
    const alerted = statuses.filter((status) => status === 'alerted').length;
    const counted = statuses.filter((status) => status === 'counted').length;
    narrate(
      `In ${minutes} simulated minutes ${failures} tasks failed to start: ${alerted} alert sent, ${counted} counted quietly.`,
    );

    const publications = world.snsPublications(SAMPLE.topicArn);
    const [alert] = publications;
    if (alert) {
      narrate('The alert, as its email recipient reads it:');
      narrate(`  Subject: ${alert.subject}\n\n${alert.textFor('email').replace(/^/gm, '  ')}`);
    }
    return {
      ok: publications.length === 1 && failures === FAILURES && alerted === 1 && counted === FAILURES - 1,
      summary: `${failures} failed starts of service checkout -> ${publications.length} alert (image not found, fix named)`,
    };
  },
};
