import { describe, expect, it } from 'vitest';
import { flushPromises } from '../../../testing/fake-clock.js';
import { bulkhead } from './bulkhead.js';
import { BulkheadRejectedError } from './errors.js';

/** Calls that stay running until the test finishes them one by one. */
function gate() {
  const finishers: (() => void)[] = [];
  const started: number[] = [];
  const call = (id: number) => () => {
    started.push(id);
    return new Promise<number>((resolve) => finishers.push(() => resolve(id)));
  };
  const finishNext = async () => {
    finishers.shift()?.();
    await flushPromises();
  };
  return { call, started, finishNext };
}

describe('bulkhead', () => {
  it('runs maxConcurrent calls, queues maxQueue, rejects the next one, and recovers', async () => {
    const b = bulkhead({ maxConcurrent: 2, maxQueue: 1 });
    const rejected: BulkheadRejectedError[] = [];
    b.onReject((e) => rejected.push(e));
    const g = gate();
    const running = [b.execute(g.call(1)), b.execute(g.call(2)), b.execute(g.call(3))];
    expect([b.inFlight, b.queued]).toEqual([2, 1]);
    expect(g.started).toEqual([1, 2]);

    const fourth = b.execute(g.call(4));
    await expect(fourth).rejects.toBeInstanceOf(BulkheadRejectedError);
    await expect(fourth).rejects.toThrow('bulkhead full: 2 calls running and 1 queued');
    expect(rejected).toHaveLength(1);
    expect(g.started).toEqual([1, 2]);

    await g.finishNext();
    expect(g.started).toEqual([1, 2, 3]);
    expect([b.inFlight, b.queued]).toEqual([2, 0]);
    const fifth = b.execute(g.call(5));
    expect(b.queued).toBe(1);
    await g.finishNext();
    await g.finishNext();
    await g.finishNext();
    await expect(Promise.all([...running, fifth])).resolves.toEqual([1, 2, 3, 5]);
    expect([b.inFlight, b.queued]).toEqual([0, 0]);
  });

  it('rejects at once without a queue', async () => {
    const b = bulkhead({ maxConcurrent: 1 });
    const g = gate();
    void b.execute(g.call(1));
    await expect(b.execute(g.call(2))).rejects.toBeInstanceOf(BulkheadRejectedError);
    expect(b.maxQueue).toBe(0);
  });

  it('frees the slot of a call that fails', async () => {
    const b = bulkhead({ maxConcurrent: 1 });
    await expect(b.execute(async () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    await expect(
      b.execute(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(b.inFlight).toBe(0);
    await expect(b.execute(async () => 'ok')).resolves.toBe('ok');
  });

  it('drops a queued call when its caller aborts, without running it', async () => {
    const b = bulkhead({ maxConcurrent: 1, maxQueue: 1 });
    const g = gate();
    const first = b.execute(g.call(1));
    const caller = new AbortController();
    const queued = b.execute(g.call(2), caller.signal);
    caller.abort(new Error('gave up'));
    await expect(queued).rejects.toThrow('gave up');
    expect(b.queued).toBe(0);
    await g.finishNext();
    await expect(first).resolves.toBe(1);
    expect(g.started).toEqual([1]);
  });

  it('refuses impossible limits', () => {
    expect(() => bulkhead({ maxConcurrent: 0 })).toThrow(RangeError);
    expect(() => bulkhead({ maxConcurrent: 1, maxQueue: -1 })).toThrow(RangeError);
  });
});
