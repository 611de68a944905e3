import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import type { SdkError } from '@smithy/types';

/**
 * What a caller needs to know about an AWS error. Callers branch on the kind; only this module reads
 * error names and message text.
 */
export type AwsErrorKind =
  | 'throttled'
  | 'not-found'
  | 'already-done'
  | 'conflict'
  | 'invalid'
  | 'access-denied'
  | 'transient'
  | 'other';

// Names as the SDK gives them: for a modelled error its shape name (the Query services, Auto Scaling and
// SNS, send a wire code such as `ScalingActivityInProgress` that the SDK turns into the shape
// `ScalingActivityInProgressFault`); for an unmodelled one (`ValidationError`, `AccessDenied`,
// `Throttling`) the wire code itself. Source: the services' models (botocore `service-2.json`, shapes
// with `"exception": true` and their `"error": {"code"}`), checked end to end in
// test/local-aws/faults.test.ts. The wire codes are listed too, for errors built without the model
// (an older client, a hand-made error).
const NOT_FOUND_NAMES = new Set([
  'ClusterNotFoundException',
  'ServiceNotFoundException',
  'TaskSetNotFoundException',
  'ResourceNotFoundException',
  'TargetNotFoundException',
  // SNS NotFound (404)
  'NotFoundException',
  'NotFound',
]);
const INVALID_NAMES = new Set([
  'InvalidParameterException',
  'ClientException',
  'ValidationException',
  'PlatformUnknownException',
  'PlatformTaskDefinitionIncompatibilityException',
  'UnsupportedFeatureException',
  // Auto Scaling: unmodelled, under its wire code
  'ValidationError',
  'InvalidNextToken',
  // SNS InvalidParameter, ParameterValueInvalid
  'InvalidParameterValueException',
  'InvalidParameter',
  'ParameterValueInvalid',
]);
const ACCESS_DENIED_NAMES = new Set([
  'AccessDeniedException',
  // IAM's denial on the Query services is unmodelled: the wire code
  'AccessDenied',
  // SNS AuthorizationError (403)
  'AuthorizationErrorException',
  'AuthorizationError',
  'KMSAccessDeniedException',
]);
const CONFLICT_NAMES = new Set([
  'ConflictException',
  'ConditionalCheckFailedException',
  'TransactionConflictException',
  'UpdateInProgressException',
  // Auto Scaling ResourceInUse, ScalingActivityInProgress
  'ResourceInUseFault',
  'ScalingActivityInProgressFault',
  'ResourceInUse',
  'ScalingActivityInProgress',
]);
/** Throttling under names smithy's classifier does not list. */
const THROTTLING_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  // SNS Throttled (429), KMSThrottling
  'ThrottledException',
  'Throttled',
  'KMSThrottlingException',
]);
/**
 * Retryable faults answered with a 4xx by some endpoints: Auto Scaling ResourceContention (a pending
 * update to the same resource; modelled with status 500).
 */
const TRANSIENT_NAMES = new Set(['ResourceContentionFault', 'ResourceContention', 'InternalErrorException']);

/** Messages that mean the effect we wanted has already happened. */
const ALREADY_DONE_MESSAGES = [/No active Lifecycle Action found/i];

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

export function errorName(error: unknown): string {
  const name = (error as ErrorLike | null)?.name;
  return typeof name === 'string' ? name : 'Error';
}

export function errorMessage(error: unknown): string {
  const message = (error as ErrorLike | null)?.message;
  return typeof message === 'string' ? message : String(error);
}

export function classifyAwsError(error: unknown): AwsErrorKind {
  if (typeof error !== 'object' || error === null) return 'other';
  const name = errorName(error);
  const message = errorMessage(error);
  // smithy's classifiers read only optional fields ($retryable, $metadata, name), so any error will do.
  const sdkError = error as SdkError;
  // Auto Scaling's LimitExceededFault is a quota (groups, hooks, instances per call), not a rate:
  // retrying does not help, so it is surfaced as it is. smithy's list does hold ECS's and DynamoDB's
  // `LimitExceededException`, a rate limit on concurrent control-plane calls.
  if (
    name !== 'LimitExceededFault' &&
    name !== 'LimitExceeded' &&
    (isThrottlingError(sdkError) || THROTTLING_NAMES.has(name))
  ) {
    return 'throttled';
  }
  if (ALREADY_DONE_MESSAGES.some((pattern) => pattern.test(message))) return 'already-done';
  if (NOT_FOUND_NAMES.has(name)) return 'not-found';
  if (CONFLICT_NAMES.has(name)) return 'conflict';
  if (ACCESS_DENIED_NAMES.has(name)) return 'access-denied';
  if (INVALID_NAMES.has(name)) return 'invalid';
  if (TRANSIENT_NAMES.has(name) || isServerError(sdkError) || isTransientError(sdkError)) return 'transient';
  return 'other';
}

/** An AWS call that failed, with the operation and the resource it was about. */
export class AwsOperationError extends Error {
  override readonly name = 'AwsOperationError';
  readonly kind: AwsErrorKind;
  constructor(
    readonly operation: string,
    readonly target: string,
    override readonly cause: unknown,
  ) {
    super(`${operation} on ${target} failed: ${errorName(cause)}: ${errorMessage(cause)}`);
    this.kind = classifyAwsError(cause);
  }
}

/** Runs one AWS call; failures are rethrown with the operation and target named. */
export async function call<T>(operation: string, target: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof AwsOperationError) throw error;
    throw new AwsOperationError(operation, target, error);
  }
}

/** Kind of an error that may have been wrapped by {@link call}. */
export function kindOf(error: unknown): AwsErrorKind {
  return error instanceof AwsOperationError ? error.kind : classifyAwsError(error);
}

/**
 * RunTask on a cluster with no container instances fails with InvalidParameterException "No Container
 * Instances were found in your cluster", not with a RESOURCE failure: for a scheduler that is a capacity
 * shortage (a group scaled to zero), to retry and to ask capacity for.
 */
export function isNoContainerInstancesError(error: unknown): boolean {
  const cause = error instanceof AwsOperationError ? error.cause : error;
  return kindOf(error) === 'invalid' && /No Container Instances were found/i.test(errorMessage(cause));
}

/** Task ARNs a RunTask ConflictException says are already associated with the clientToken. */
export function conflictResourceIds(error: unknown): string[] {
  const cause = error instanceof AwsOperationError ? error.cause : error;
  const ids = (cause as { resourceIds?: unknown } | null)?.resourceIds;
  return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
}
