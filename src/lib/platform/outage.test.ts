import { describe, expect, it } from 'vitest';
import { backoffMs, isTransient, rideOut } from './outage.js';

const err = (props: Record<string, unknown>, message = 'x') => Object.assign(new Error(message), props);

describe('telling an outage from a mistake', () => {
  it('counts a refused, reset or timed-out connection, from any client, as transient', () => {
    expect(isTransient(err({ code: 'ECONNREFUSED', errno: -111 }))).toBe(true);
    expect(isTransient(err({ code: 'ECONNRESET' }))).toBe(true);
    expect(isTransient(err({ code: 'PROTOCOL_CONNECTION_LOST' }))).toBe(true);
    expect(isTransient(err({ name: 'KafkaJSConnectionError' }))).toBe(true);
    expect(isTransient(err({ name: 'KafkaJSProtocolError', retriable: true }))).toBe(true);
    // wrapped: an AggregateError of connection attempts, an error's cause
    expect(isTransient(new AggregateError([err({ code: 'ECONNREFUSED' })]))).toBe(true);
    expect(isTransient(new Error('upload failed', { cause: err({ code: 'ETIMEDOUT' }) }))).toBe(true);
  });

  it('counts an S3 5xx or throttling as transient, and any other answer as permanent', () => {
    expect(isTransient(err({ name: 'InternalError', $metadata: { httpStatusCode: 500 } }))).toBe(true);
    expect(isTransient(err({ name: 'SlowDown', $metadata: { httpStatusCode: 503 } }))).toBe(true);
    expect(isTransient(err({ name: 'Throttling', $metadata: { httpStatusCode: 429 } }))).toBe(true);
    expect(isTransient(err({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }))).toBe(false);
    expect(isTransient(err({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }))).toBe(false);
  });

  it('reads a media tool that could not reach its source over HTTP as transient, bad media as permanent', () => {
    expect(
      isTransient(
        err({ stderrTail: ['[tcp @ 0x1] Connection to tcp://127.0.0.1:9000 failed: Connection refused'] }),
      ),
    ).toBe(true);
    expect(isTransient(err({ stderrTail: ['Server returned 5XX Server Error reply'] }))).toBe(true);
    expect(isTransient(err({ stderrTail: ['Server returned 404 Not Found'] }))).toBe(false);
    expect(isTransient(err({ stderrTail: ['Server returned 503 Service Unavailable'] }))).toBe(true);
    expect(
      isTransient(err({ stderrTail: ['moov atom not found', 'Invalid data found when processing input'] })),
    ).toBe(false);
    expect(isTransient(err({ code: 'ER_DUP_ENTRY' }))).toBe(false);
    expect(isTransient(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(false);
    expect(isTransient(null)).toBe(false);
  });
});

describe('riding out an outage', () => {
  /** A clock that sleeping moves on. */
  function fakeTime() {
    let t = 0;
    const waits: number[] = [];
    return {
      waits,
      now: () => t,
      sleep: async (ms: number) => {
        waits.push(ms);
        t += ms;
      },
    };
  }

  it('retries a transient failure with growing, jittered waits until the call works', async () => {
    const clock = fakeTime();
    let calls = 0;
    const result = await rideOut(
      async () => {
        calls++;
        if (calls < 5) throw err({ code: 'ECONNREFUSED' });
        return 'ok';
      },
      { deadlineMs: 60_000, baseMs: 100, capMs: 1000, random: () => 1, ...clock },
    );
    expect([result, calls]).toEqual(['ok', 5]);
    expect(clock.waits).toEqual([100, 200, 400, 800]);
  });

  it('gives up with the last error once the deadline has passed, and never waits past it', async () => {
    const clock = fakeTime();
    const seen: number[] = [];
    await expect(
      rideOut(
        async () => {
          throw err({ code: 'ECONNREFUSED' }, 'connect ECONNREFUSED 127.0.0.1:9000');
        },
        {
          deadlineMs: 3000,
          baseMs: 1000,
          capMs: 1000,
          random: () => 1,
          onRetry: (n) => seen.push(n),
          ...clock,
        },
      ),
    ).rejects.toThrow('connect ECONNREFUSED 127.0.0.1:9000');
    expect(clock.waits).toEqual([1000, 1000, 1000]);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('throws a permanent failure at once', async () => {
    const clock = fakeTime();
    let calls = 0;
    await expect(
      rideOut(
        async () => {
          calls++;
          throw err({ $metadata: { httpStatusCode: 404 } }, 'NoSuchKey');
        },
        { deadlineMs: 60_000, ...clock },
      ),
    ).rejects.toThrow('NoSuchKey');
    expect([calls, clock.waits]).toEqual([1, []]);
  });

  it('keeps every backoff within its ceiling', () => {
    for (let attempt = 1; attempt < 12; attempt++) {
      const ceiling = Math.min(5000, 250 * 2 ** (attempt - 1));
      expect(backoffMs(attempt, { random: () => 0.999999 })).toBeLessThanOrEqual(ceiling);
      expect(backoffMs(attempt, { random: () => 0 })).toBe(0);
    }
  });
});
