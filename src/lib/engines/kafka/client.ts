import { createRequire } from 'node:module';
import { Kafka, logLevel } from 'kafkajs';
import type { ClusterEndpoints } from '../../cluster/endpoints.js';

interface RequestQueue {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
}

/**
 * kafkajs 2.2.4 (the last release) re-arms a 1 ms timer on every broker connection forever once
 * its queue is empty and no throttle is set (tulios/kafkajs#1556, #1704; fixes proposed, never
 * released): each connection wakes its process ~700 times a second. Measured here: every Kafka
 * client process at ~4 % of a core while idle, 1,500 wake-ups a second. With nothing pending and no
 * throttle there is nothing to check — a later request is either sent at once or queued, and
 * queuing schedules the check again — so the check is not scheduled then.
 */
function stopIdleSpin(): void {
  const { prototype: proto } = createRequire(import.meta.url)(
    'kafkajs/src/network/requestQueue/index.js',
  ) as {
    prototype: RequestQueue & { scheduleCheckPendingRequests(): void };
  };
  const original = proto.scheduleCheckPendingRequests;
  proto.scheduleCheckPendingRequests = function (this: RequestQueue) {
    if (this.pending.length === 0 && this.throttledUntil <= Date.now()) return;
    original.call(this);
  };
}
stopIdleSpin();

/** kafkajs itself, for clients that need their own settings (the health probe): patched as above. */
export { Kafka, logLevel };

/** A kafkajs client of the cluster's brokers: its warnings as JSON lines on stderr in the services' shape, patient retries. */
export function kafkaFor(endpoints: ClusterEndpoints, clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: endpoints.kafkaBrokers,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }) => {
        if (level <= logLevel.WARN) {
          // the services' own line shape (level word, time, msg), so the log agent reads it as theirs
          const line = {
            level: level === logLevel.ERROR ? 'error' : 'warn',
            time: new Date().toISOString(),
            msg: `kafka: ${log.message}`,
            error: log.error,
          };
          process.stderr.write(`${JSON.stringify(line)}\n`);
        }
      },
    retry: { retries: 8, initialRetryTime: 200 },
  });
}
