import type { Context } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { BadEventError } from './errors';
import { instrument, observability } from './observability';

const context = { functionName: 'f', awsRequestId: 'r', getRemainingTimeInMillis: () => 1000 } as Context;

describe('instrument', () => {
  it('answers a bad event with a structured rejection and flushes its metric', async () => {
    const tools = observability('test');
    const flush = vi.spyOn(tools.metrics, 'publishStoredMetrics');
    const handler = instrument(tools, async () => {
      throw new BadEventError('lifecycle event', [{ path: 'detail.EC2InstanceId', message: 'Required' }]);
    });
    await expect(handler({ id: 'evt-1' }, context)).resolves.toEqual({
      status: 'rejected',
      error: {
        name: 'BadEventError',
        source: 'lifecycle event',
        issues: [{ path: 'detail.EC2InstanceId', message: 'Required' }],
      },
    });
    expect(flush).toHaveBeenCalledOnce();
  });

  it('uses the event id as correlation id', async () => {
    const tools = observability('test');
    const handler = instrument(tools, async () => tools.logger.getCorrelationId());
    await expect(handler({ id: 'evt-2' }, context)).resolves.toBe('evt-2');
  });

  it('rethrows other errors so Lambda retries', async () => {
    const tools = observability('test');
    const handler = instrument(tools, async () => {
      throw new Error('ECS is down');
    });
    await expect(handler({}, context)).rejects.toThrow('ECS is down');
  });
});
