import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { METRICS_NAMESPACE } from '../shared/runtime/metrics-namespace';
import type { FunctionName } from './specs/types';

const PERIOD = Duration.minutes(5);

interface Panel {
  readonly title: string;
  /** The dimension names the metrics carry (Powertools adds `service`), so SEARCH picks one series set. */
  readonly dimensions: readonly string[];
  readonly left: readonly { readonly metric: string; readonly statistic: string }[];
  readonly right?: readonly { readonly metric: string; readonly statistic: string }[];
  /** SEARCH label; `${PROP('Dim.x')}` tells series apart. */
  readonly label?: (metric: string) => string;
}

/**
 * The functions' own EMF metrics (namespace EcsAutopilot) on the dashboard, one panel per function.
 * A test checks each name is emitted by that function's code, so a renamed metric can't leave an
 * empty graph.
 */
export const DASHBOARD_PANELS: Record<FunctionName, Panel> = {
  'drain-instance': {
    title: 'Drains (per 5 min) and drain duration (p90, s)',
    dimensions: ['service'],
    left: [
      { metric: 'DrainsStarted', statistic: 'Sum' },
      { metric: 'DrainsCompleted', statistic: 'Sum' },
      { metric: 'DrainDeadlineExpired', statistic: 'Sum' },
      { metric: 'StandaloneTasksStopped', statistic: 'Sum' },
      { metric: 'DrainErrors', statistic: 'Sum' },
    ],
    right: [{ metric: 'DrainDuration', statistic: 'p90' }],
  },
  'scale-capacity': {
    title: 'Pending tasks vs planned and actual instances',
    dimensions: ['CapacityProvider', 'service'],
    label: (metric) => `${metric} \${PROP('Dim.CapacityProvider')}`,
    left: [
      { metric: 'PendingTasks', statistic: 'Maximum' },
      { metric: 'PlannedInstances', statistic: 'Maximum' },
      { metric: 'ActualInstances', statistic: 'Maximum' },
      { metric: 'LowerBound', statistic: 'Maximum' },
    ],
  },
  'detect-failed-start': {
    title: 'Failed starts by category (per 5 min)',
    dimensions: ['category', 'cluster', 'group', 'service'],
    left: [{ metric: 'FailedStarts', statistic: 'Sum' }],
    // CloudWatch's own label syntax, not a JavaScript template.
    label: () =>
      ['category', 'cluster', 'group'].map((dimension) => `\${PROP('Dim.${dimension}')}`).join(' '),
  },
  'run-scheduled-task': {
    title: 'Job runs (per 5 min) and start latency (p90, s)',
    dimensions: ['service'],
    left: [
      { metric: 'RunsStarted', statistic: 'Sum' },
      { metric: 'RunsSucceeded', statistic: 'Sum' },
      { metric: 'RunsFailed', statistic: 'Sum' },
      { metric: 'RunsSkipped', statistic: 'Sum' },
      { metric: 'RunsMissed', statistic: 'Sum' },
    ],
    right: [{ metric: 'StartLatency', statistic: 'p90' }],
  },
};

/** Every series of a metric with exactly these dimensions, one line each. */
function search(panel: Panel, metric: string, statistic: string): cloudwatch.MathExpression {
  const schema = [METRICS_NAMESPACE, ...panel.dimensions].join(',');
  return new cloudwatch.MathExpression({
    expression: `SEARCH('{${schema}} MetricName="${metric}"', '${statistic}', ${PERIOD.toSeconds()})`,
    label:
      panel.label?.(metric) ??
      `${metric}${statistic === 'Sum' || statistic === 'Maximum' ? '' : ` ${statistic}`}`,
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
  functions: Partial<Record<FunctionName, IFunction>>,
  failureQueues: Partial<Record<FunctionName, IQueue>>,
  undelivered: IQueue,
): cloudwatch.IWidget[][] {
  const fns = Object.entries(functions).filter(
    (entry): entry is [FunctionName, IFunction] => entry[1] !== undefined,
  );
  const queues = Object.entries(failureQueues).filter(
    (entry): entry is [string, IQueue] => entry[1] !== undefined,
  );
  const panels = fns.map(([name]) => {
    const panel = DASHBOARD_PANELS[name];
    return graph(
      panel.title,
      panel.left.map(({ metric, statistic }) => search(panel, metric, statistic)),
      (panel.right ?? []).map(({ metric, statistic }) => search(panel, metric, statistic)),
    );
  });
  const health = [
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
  ];
  const widgets = [...panels, ...health];
  const rows: cloudwatch.IWidget[][] = [];
  for (let index = 0; index < widgets.length; index += 2) rows.push(widgets.slice(index, index + 2));
  return rows;
}
