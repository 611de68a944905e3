import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', 'cdk.out/**'],
    // With RECORD_CALLERS too, recorded requests also name the functions running (check-requests.py).
    setupFiles: [
      'test/setup.ts',
      ...(process.env.RECORD_CALLERS ? ['test/support/record-callers.setup.ts'] : []),
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Offline and credential-free: the SDK gets fake credentials and never asks IMDS.
    env: {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_EC2_METADATA_DISABLED: 'true',
      POWERTOOLS_DEV: 'true',
      // Lambda runs Node 22; the local Node 20 is supported by the pinned SDK, so its notice is noise here.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
    },
  },
});
