/** A Lambda-like context for invoking handlers locally. */
import type { Context } from 'aws-lambda';

export function lambdaContext(
  options: { functionName?: string; timeoutMs?: number; requestId?: string } = {},
): Context {
  const functionName = options.functionName ?? 'local-function';
  const timeoutMs = options.timeoutMs ?? 60_000;
  // Real elapsed time (performance.now is not faked by a world clock), like Lambda's own deadline.
  const deadline = performance.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: options.requestId ?? crypto.randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `2025/01/15/[$LATEST]${crypto.randomUUID().replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, Math.round(deadline - performance.now())),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
