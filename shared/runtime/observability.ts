import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { BadEventError } from './errors';
import { AWS_LIMITS, cut } from './limits';

import { METRICS_NAMESPACE } from './metrics-namespace';

export { METRICS_NAMESPACE };

export interface Observability {
  logger: Logger;
  metrics: Metrics;
}

/** One Logger and one Metrics per function, built at cold start; levels come from the environment. */
export function observability(serviceName: string): Observability {
  return {
    logger: new Logger({ serviceName }),
    metrics: new Metrics({
      namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE,
      serviceName,
    }),
  };
}

/** What a handler answers when it refused an event: structured, so tests and callers can read it. */
export interface RejectedEvent {
  status: 'rejected';
  error: { name: 'BadEventError'; source: string; issues: BadEventError['issues'] };
}

/**
 * Wraps a handler: log context and correlation id (the EventBridge event id), metrics flushed once per
 * invocation, and bad events answered with a structured rejection rather than thrown, since a retry of
 * the same event cannot succeed. Any other error is logged with context and rethrown so Lambda retries.
 */
export function instrument<Result>(
  { logger, metrics }: Observability,
  run: (event: unknown, context: Context) => Promise<Result>,
): (event: unknown, context: Context) => Promise<Result | RejectedEvent> {
  return async (event, context) => {
    logger.addContext(context);
    logger.setCorrelationId(eventId(event));
    try {
      return await run(event, context);
    } catch (error) {
      if (error instanceof BadEventError) {
        logger.error('Event rejected', { source: error.source, issues: error.issues });
        metrics.addMetric('RejectedEvents', 'Count', 1);
        return {
          status: 'rejected',
          error: { name: error.name, source: error.source, issues: error.issues },
        };
      }
      logger.error('Invocation failed', error as Error);
      throw error;
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      logger.resetKeys();
    }
  };
}

function eventId(event: unknown): string | undefined {
  // Read before the event is parsed, and put on every log line: cut, whatever the event says.
  if (typeof event === 'object' && event !== null && 'id' in event && typeof event.id === 'string') {
    return cut(event.id, AWS_LIMITS.eventId);
  }
  return undefined;
}
