import { describe, expect, it } from 'vitest';
import { planChunks } from './chunks.js';

const spans = (cs: ReturnType<typeof planChunks>) => cs.map((c) => [c.startSeconds, c.durationSeconds]);

describe('planChunks', () => {
  it('starts every chunk on a segment boundary and makes the last one shorter', () => {
    const cs = planChunks(20, { segmentSeconds: 4, chunkSeconds: 8 });
    expect(spans(cs)).toEqual([
      [0, 8],
      [8, 8],
      [16, 4],
    ]);
    expect(cs.map((c) => c.index)).toEqual([0, 1, 2]);
    for (const c of cs) expect((c.startSeconds / 4) % 1).toBe(0);
  });

  it('covers the title exactly, without gaps or overlaps', () => {
    const cs = planChunks(123.45, { segmentSeconds: 4, chunkSeconds: 12 });
    let t = 0;
    for (const c of cs) {
      expect(c.startSeconds).toBeCloseTo(t, 9);
      t += c.durationSeconds;
    }
    expect(t).toBeCloseTo(123.45, 9);
  });

  it('lets a tail shorter than half a segment join the chunk before it', () => {
    expect(spans(planChunks(17, { segmentSeconds: 4, chunkSeconds: 8 }))).toEqual([
      [0, 8],
      [8, 9],
    ]);
    expect(spans(planChunks(18, { segmentSeconds: 4, chunkSeconds: 8 }))).toEqual([
      [0, 8],
      [8, 8],
      [16, 2],
    ]);
  });

  it('makes one chunk of a very short clip', () => {
    expect(spans(planChunks(1.2, { segmentSeconds: 4, chunkSeconds: 8 }))).toEqual([[0, 1.2]]);
    expect(spans(planChunks(6, { segmentSeconds: 4 }))).toEqual([[0, 6]]);
  });

  it('splits a 6 s clip into 4 s + 2 s with one-segment chunks', () => {
    expect(spans(planChunks(6, { segmentSeconds: 4, chunkSeconds: 4 }))).toEqual([
      [0, 4],
      [4, 2],
    ]);
  });

  it('keeps boundaries on whole frames with a 29.97 fps segment (4.004 s)', () => {
    const seg = (120 * 1001) / 30000;
    const cs = planChunks(60, { segmentSeconds: seg, chunkSeconds: 2 * seg });
    for (const c of cs) {
      const frames = (c.startSeconds * 30000) / 1001;
      expect(Math.abs(frames - Math.round(frames))).toBeLessThan(1e-6);
      expect(Math.round(frames) % 120).toBe(0);
    }
  });

  it('defaults to two-segment chunks, larger for long titles (at most maxChunks)', () => {
    expect(planChunks(30, { segmentSeconds: 4 }).map((c) => c.durationSeconds)).toEqual([8, 8, 8, 6]);
    const movie = planChunks(7200, { segmentSeconds: 4 });
    expect(movie.length).toBeLessThanOrEqual(100);
    expect(movie[0]?.durationSeconds).toBe(72);
    // 1800 segments / 400 chunks → 5 segments (20 s) per chunk → 360 chunks
    expect(planChunks(7200, { segmentSeconds: 4, maxChunks: 400 }).length).toBe(360);
  });

  it('refuses a chunk length that is not a whole number of segments', () => {
    expect(() => planChunks(30, { segmentSeconds: 4, chunkSeconds: 6 })).toThrow(/whole number of segments/);
    expect(() => planChunks(30, { segmentSeconds: 4, chunkSeconds: 0 })).toThrow(/whole number of segments/);
    expect(() => planChunks(0, { segmentSeconds: 4 })).toThrow(/positive/);
  });
});
