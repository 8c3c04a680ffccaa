import { defineConfig } from 'vitest/config';

/**
 * unit: pure logic beside the code it tests (src/**\/*.test.ts), fast, no engines.
 * integration: test/**\/*.integration.test.ts, real engines on loopback; one file at a time
 * because they share one cluster and a 2-core machine.
 */
export default defineConfig({
  test: {
    // the pinned AWS SDK runs on Node 20; its note about future releases is noise in test output
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', KAFKAJS_NO_PARTITIONER_WARNING: '1' },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts'],
          testTimeout: 10_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.integration.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 600_000,
          fileParallelism: false,
          pool: 'forks',
        },
      },
    ],
  },
});
