import { describe, expect, it } from 'vitest';
import { forEachLimited } from '../core/concurrency.js';
import { FlixError } from '../core/errors.js';
import { type EdgeWarmReport, type TitleWarmReport, tallyWarm } from '../platform/edge-fill.js';
import { assertReady, chooseEdges, failuresError } from './prewarm.js';

const edges = [
  { name: 'edge-a', zone: 'a', url: 'http://127.0.0.1:1' },
  { name: 'edge-b', zone: 'b', url: 'http://127.0.0.1:2' },
];

describe('prewarm', () => {
  it('chooses every edge, or the edges of one zone, and names the zones when one is unknown', () => {
    expect(chooseEdges(edges)).toEqual(edges);
    expect(chooseEdges(edges, 'b')).toEqual([edges[1]]);
    expect(() => chooseEdges(edges, 'c')).toThrow(/no edge in zone 'c'/);
    try {
      chooseEdges(edges, 'c');
    } catch (e) {
      expect((e as FlixError).exitCode).toBe(2);
      expect((e as FlixError).nextStep).toContain('a, b');
    }
    expect(() => chooseEdges([])).toThrow('runs no edge');
  });

  it('takes only ready titles: 14 for a failed one, 12 for one still on its way', () => {
    expect(() => assertReady({ id: 't', status: 'ready' })).not.toThrow();
    const code = (status: 'failed' | 'processing' | 'uploading') => {
      try {
        assertReady({ id: 't', status });
      } catch (e) {
        expect(e).toBeInstanceOf(FlixError);
        return (e as FlixError).exitCode;
      }
      return 0;
    };
    expect(code('failed')).toBe(14);
    expect(code('processing')).toBe(12);
    expect(code('uploading')).toBe(12);
  });

  it('keeps at most `limit` calls in flight and visits every item once', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachLimited(
      Array.from({ length: 25 }, (_, i) => i),
      4,
      async (i) => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, (i * 7) % 5));
        seen.push(i);
        inFlight -= 1;
      },
    );
    expect(peak).toBe(4);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    await forEachLimited([], 3, async () => {
      throw new Error('never called');
    });
    await expect(forEachLimited([1], 0, async () => {})).rejects.toThrow(RangeError);
  });

  it('stops starting new calls after the first error and throws it', async () => {
    const started: number[] = [];
    await expect(
      forEachLimited([1, 2, 3, 4, 5, 6], 2, async (i) => {
        started.push(i);
        if (i === 2) throw new Error('boom');
        await new Promise((r) => setTimeout(r, 5));
      }),
    ).rejects.toThrow('boom');
    expect(started.length).toBeLessThan(6);
  });

  it('adds up origin bytes (anything but HIT) and cached bytes, keeping failures apart', () => {
    const t = tallyWarm([
      { key: 'a', cacheStatus: 'MISS', bytes: 100, failure: null },
      { key: 'b', cacheStatus: 'HIT', bytes: 30, failure: null },
      { key: 'c', cacheStatus: 'EXPIRED', bytes: 5, failure: null },
      {
        key: 'd',
        cacheStatus: '',
        bytes: 0,
        failure: { key: 'd', status: 502, message: 'GET answered 502' },
      },
    ]);
    expect(t).toEqual({
      fromOrigin: { objects: 2, bytes: 105 },
      alreadyCached: { objects: 1, bytes: 30 },
      cacheStatuses: { MISS: 1, HIT: 1, EXPIRED: 1 },
      failures: [{ key: 'd', status: 502, message: 'GET answered 502' }],
    });
  });

  it('turns failures into one error naming the first few, and none into null', () => {
    const edge = (failures: EdgeWarmReport['failures']): EdgeWarmReport => ({
      edge: 'edge-a',
      zone: 'a',
      objects: 20,
      fromOrigin: { objects: 0, bytes: 0 },
      alreadyCached: { objects: 0, bytes: 0 },
      cacheStatuses: {},
      verify: { objects: 20, hits: 0, hitRatio: 0 },
      failures,
      seconds: 1,
    });
    const report = (failures: EdgeWarmReport['failures']): TitleWarmReport[] => [
      { id: 't', title: 'T', objects: 20, bytes: 1, edges: [edge(failures)] },
    ];
    expect(failuresError(report([]))).toBeNull();
    const many = Array.from({ length: 12 }, (_, i) => ({
      key: `titles/t/${i}`,
      status: 403,
      message: 'GET answered 403',
    }));
    const err = failuresError(report(many)) as FlixError;
    expect(err.exitCode).toBe(8);
    expect(err.message).toBe('12 object fetch(es) through the edges failed');
    expect(err.details).toContain('edge-a titles/t/0: GET answered 403');
    expect(err.details).toContain('… and 2 more');
  });
});
