import { Kafka, logLevel } from 'kafkajs';
import type { ClusterEndpoints } from '../../cluster/endpoints.js';

/** A kafkajs client of the cluster's brokers: its warnings as JSON lines on stderr, patient retries. */
export function kafkaFor(endpoints: ClusterEndpoints, clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: endpoints.kafkaBrokers,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }) => {
        if (level <= logLevel.WARN) {
          process.stderr.write(`${JSON.stringify({ kafka: log.message, level, error: log.error })}\n`);
        }
      },
    retry: { retries: 8, initialRetryTime: 200 },
  });
}
