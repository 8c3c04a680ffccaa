import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import './client.js';

type Queue = {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  destroy(): void;
};
const RequestQueue = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as new (
  o: object,
) => Queue;
const queue = () =>
  new RequestQueue({
    maxInFlightRequests: 1,
    requestTimeout: 1000,
    clientId: 't',
    broker: 'b',
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  });

describe('kafkajs request queue (patched by the Kafka client)', () => {
  it('arms no timer while nothing is pending and nothing throttles', () => {
    const q = queue();
    q.checkPendingRequests();
    expect(q.throttleCheckTimeoutId).toBeNull();
  });

  it('still checks again later while throttled', () => {
    const q = queue();
    q.throttledUntil = Date.now() + 60_000;
    q.checkPendingRequests();
    expect(q.throttleCheckTimeoutId).not.toBeNull();
    clearTimeout(q.throttleCheckTimeoutId as NodeJS.Timeout);
  });
});
