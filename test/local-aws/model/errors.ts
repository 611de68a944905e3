/**
 * An error the real API would answer with. The endpoint turns it into the service's wire shape
 * (ECS: `__type` JSON, Query: `<ErrorResponse>` XML) with the same code, message and status.
 */
export class AwsApiError extends Error {
  override readonly name = 'AwsApiError';
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    /** Extra fields of the error body (e.g. ConflictException's resourceIds). */
    public extra?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const ecsErrors = {
  clusterNotFound: () => new AwsApiError('ClusterNotFoundException', 'Cluster not found.'),
  invalid: (message: string) => new AwsApiError('InvalidParameterException', message),
  client: (message: string) => new AwsApiError('ClientException', message),
  conflict: (message: string) => new AwsApiError('ConflictException', message),
  serviceNotFound: () => new AwsApiError('ServiceNotFoundException', 'Service not found.'),
};

export const autoScalingErrors = {
  validation: (message: string) => new AwsApiError('ValidationError', message),
};
