import { defineConfig } from 'vitest/config';
import { ClusterLastSequencer } from './test/setup/sequencer.js';

/**
 * unit: pure logic beside the code it tests (src/**\/*.test.ts), fast, no engines.
 * integration: test/**\/*.integration.test.ts, real engines on loopback, one file at a time on a
 * 2-core machine. Every suite that can shares one CI cluster, started once by the global setup
 * (test/setup/shared-cluster.ts); suites that must start clusters of their own (bad definitions,
 * busy ports) still do.
 */
export default defineConfig({
  test: {
    // the pinned AWS SDK runs on Node 20; its note about future releases is noise in test output
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', KAFKAJS_NO_PARTITIONER_WARNING: '1' },
    sequence: { sequencer: ClusterLastSequencer },
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
          globalSetup: ['test/setup/shared-cluster.ts'],
          testTimeout: 120_000,
          hookTimeout: 600_000,
          fileParallelism: false,
          pool: 'forks',
        },
      },
    ],
  },
});
