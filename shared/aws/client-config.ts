/**
 * Shared SDK client settings. Region, credentials and endpoint come from the SDK's standard
 * configuration (AWS_REGION, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_ECS, ...), so the same code reaches real
 * AWS or the local endpoint. Adaptive retry backs off on throttling across all calls of a client.
 */
export const clientConfig = {
  retryMode: 'adaptive',
  maxAttempts: 8,
  requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 },
} as const;
