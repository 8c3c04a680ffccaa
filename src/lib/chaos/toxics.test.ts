import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../testing/fake-clock.js';
import { FlixError } from '../core/errors.js';
import { createStage, type Item, parseToxic, type StageContext, type ToxicSpec } from './toxics.js';

/** A stage on a fake clock, with what it passed on (and when), dropped, closed or reset recorded. */
function harness(spec: ToxicSpec, random: () => number = () => 0.5) {
  const clock = new FakeClock(1000);
  const out: { at: number; item: string | null }[] = [];
  const events: string[] = [];
  let dropped = 0;
  const ctx: StageContext = {
    clock,
    random,
    dropped: (n) => {
      dropped += n;
    },
    close: () => events.push(`close@${clock.now()}`),
    reset: () => events.push(`reset@${clock.now()}`),
  };
  const stage = createStage(parseToxic(spec), ctx);
  stage.next = (item: Item) =>
    out.push({ at: clock.now() - 1000, item: item === null ? null : item.toString() });
  const push = (s: string | null) => stage.push(s === null ? null : Buffer.from(s));
  return { clock, stage, out, events, push, dropped: () => dropped };
}

describe('parseToxic', () => {
  it('fills in Toxiproxy defaults: name <type>_<stream>, both streams, toxicity 1', () => {
    expect(parseToxic({ type: 'latency', latencyMs: 100 })).toEqual({
      type: 'latency',
      latencyMs: 100,
      jitterMs: 0,
      name: 'latency_both',
      stream: 'both',
      toxicity: 1,
    });
    expect(parseToxic({ type: 'timeout', ms: 0, stream: 'downstream' }).name).toBe('timeout_downstream');
  });

  it('refuses settings that make no sense with a FlixError', () => {
    const bad: ToxicSpec[] = [
      { type: 'latency', latencyMs: -1 },
      { type: 'latency', latencyMs: Number.NaN },
      { type: 'bandwidth', kbps: 0 },
      { type: 'timeout', ms: 1e12 },
      { type: 'slow_close', delayMs: 10, toxicity: 2 },
      { type: 'reset_peer', name: 'no spaces' },
      { type: 'latency', latencyMs: 1, stream: 'sideways' as 'both' },
      { type: 'nope' } as unknown as ToxicSpec,
    ];
    for (const spec of bad) expect(() => parseToxic(spec), JSON.stringify(spec)).toThrow(FlixError);
  });
});

describe('stages', () => {
  it('latency delays each chunk and never lets one overtake an earlier one', async () => {
    const randoms = [1, 0, 0.5]; // +jitter, -jitter, none
    const h = harness({ type: 'latency', latencyMs: 100, jitterMs: 50 }, () => randoms.shift() ?? 0.5);
    h.push('a'); // due 150
    h.push('b'); // due 50, but after a
    await h.clock.advance(20);
    h.push('c'); // due 120 → after a as well
    h.push(null);
    await h.clock.advance(200);
    expect(h.out).toEqual([
      { at: 150, item: 'a' },
      { at: 150, item: 'b' },
      { at: 150, item: 'c' },
      { at: 150, item: null },
    ]);
  });

  it('bandwidth releases each slice when it would have finished at the rate', async () => {
    const h = harness({ type: 'bandwidth', kbps: 80 }); // 10 bytes/ms, slices of 1000 bytes
    h.stage.push(Buffer.alloc(2500));
    await h.clock.advance(1000);
    expect(h.out.map((o) => [o.at, o.item?.length])).toEqual([
      [100, 1000],
      [200, 1000],
      [250, 500],
    ]);
    h.push('x'); // the link is idle again: 0.1 ms from now
    await h.clock.advance(1);
    expect(h.out.at(-1)?.item).toBe('x');
    expect(h.out.at(-1)?.at).toBeCloseTo(1000.1);
  });

  it('a removed toxic flushes what it held, in order, at once', async () => {
    const h = harness({ type: 'latency', latencyMs: 1000 });
    h.push('a');
    h.push('b');
    h.stage.flush();
    expect(h.out).toEqual([
      { at: 0, item: 'a' },
      { at: 0, item: 'b' },
    ]);
    await h.clock.advance(2000);
    expect(h.out).toHaveLength(2);
    expect(h.clock.pendingTimers).toBe(0);
  });

  it('timeout drops the data and closes after its time; 0 never closes', async () => {
    const h = harness({ type: 'timeout', ms: 300 });
    h.push('gone');
    await h.clock.advance(299);
    expect(h.events).toEqual([]);
    await h.clock.advance(1);
    expect(h.events).toEqual(['close@1300']);
    expect(h.out).toEqual([]);
    expect(h.dropped()).toBe(4);
    const forever = harness({ type: 'timeout', ms: 0 });
    expect(forever.clock.pendingTimers).toBe(0);
  });

  it('reset_peer resets after its timeout and drops the data until then', async () => {
    const h = harness({ type: 'reset_peer', timeoutMs: 50 });
    h.push('gone');
    await h.clock.advance(50);
    expect(h.events).toEqual(['reset@1050']);
    expect(h.out).toEqual([]);
  });

  it('slow_close passes data at once and the end late, or at once when removed', async () => {
    const h = harness({ type: 'slow_close', delayMs: 200 });
    h.push('data');
    h.push(null);
    expect(h.out).toEqual([{ at: 0, item: 'data' }]);
    await h.clock.advance(200);
    expect(h.out.at(-1)).toEqual({ at: 200, item: null });
    h.stage.flush();
    expect(h.out).toHaveLength(2);
    const removed = harness({ type: 'slow_close', delayMs: 200 });
    removed.push(null);
    removed.stage.flush();
    expect(removed.out).toEqual([{ at: 0, item: null }]);
  });
});
