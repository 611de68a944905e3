import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { METRICS_NAMESPACE } from '../shared/runtime/observability';

const PERIOD = Duration.minutes(5);

/**
 * The functions' own EMF metrics (namespace EcsAutopilot) shown on the dashboard, by panel. A test
 * checks that each name is emitted by the code, so a renamed metric can't leave an empty graph.
 */
export const DASHBOARD_METRICS = {
  drains: {
    sum: ['DrainsStarted', 'DrainsCompleted', 'DrainDeadlineExpired', 'StandaloneTasksStopped'],
    p90: ['DrainDuration'],
  },
  capacity: { max: ['PendingTasks', 'PlannedInstances', 'ActualInstances', 'LowerBound'] },
  failedStarts: { sum: ['FailedStarts'] },
  jobs: {
    sum: ['RunsStarted', 'RunsSucceeded', 'RunsFailed', 'RunsSkipped', 'RunsMissed'],
    p90: ['StartLatency'],
  },
} as const;

/**
 * Every series of a metric whatever its dimensions (service, cluster, group, category...), one line
 * each, labelled by the dimensions that tell them apart.
 */
function search(metricName: string, statistic: string, label: string): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: `SEARCH('Namespace="${METRICS_NAMESPACE}" MetricName="${metricName}"', '${statistic}', ${PERIOD.toSeconds()})`,
    label,
    period: PERIOD,
    usingMetrics: {},
  });
}

function graph(
  title: string,
  left: cloudwatch.IMetric[],
  right: cloudwatch.IMetric[] = [],
): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({ title, left, right, width: 12, height: 6 });
}

export function dashboardWidgets(
  functions: Partial<Record<string, IFunction>>,
  failureQueues: Partial<Record<string, IQueue>>,
  undelivered: IQueue,
): cloudwatch.IWidget[][] {
  const { drains, capacity, failedStarts, jobs } = DASHBOARD_METRICS;
  const fns = Object.entries(functions).filter(
    (entry): entry is [string, IFunction] => entry[1] !== undefined,
  );
  const queues = Object.entries(failureQueues).filter(
    (entry): entry is [string, IQueue] => entry[1] !== undefined,
  );
  return [
    [
      graph(
        'Drains (count per 5 min) and drain duration (p90, s)',
        drains.sum.map((name) => search(name, 'Sum', name)),
        drains.p90.map((name) => search(name, 'p90', `${name} p90`)),
      ),
      graph(
        'Pending tasks vs planned and actual instances',
        capacity.max.map((name) => search(name, 'Maximum', `${name} \${PROP('Dim.cluster')}`)),
      ),
    ],
    [
      graph(
        'Failed starts by category',
        failedStarts.sum.map((name) =>
          search(name, 'Sum', `\${PROP('Dim.category')} \${PROP('Dim.cluster')} \${PROP('Dim.group')}`),
        ),
      ),
      graph(
        'Job runs (count per 5 min) and start latency (p90, s)',
        jobs.sum.map((name) => search(name, 'Sum', name)),
        jobs.p90.map((name) => search(name, 'p90', `${name} p90`)),
      ),
    ],
    [
      graph(
        'Function errors and throttles',
        fns.flatMap(([name, fn]) => [
          fn.metricErrors({ period: PERIOD, label: `${name} errors` }),
          fn.metricThrottles({ period: PERIOD, label: `${name} throttles` }),
        ]),
      ),
      graph('Dead letters waiting', [
        ...queues.map(([name, queue]) =>
          queue.metricApproximateNumberOfMessagesVisible({
            period: PERIOD,
            statistic: 'Maximum',
            label: `${name} failures`,
          }),
        ),
        undelivered.metricApproximateNumberOfMessagesVisible({
          period: PERIOD,
          statistic: 'Maximum',
          label: 'undelivered events',
        }),
      ]),
    ],
  ];
}
