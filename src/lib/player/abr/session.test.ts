import { describe, expect, it } from 'vitest';
import { constantBitrateRendition } from './renditions.js';
import { elapse, nextAction, segmentDownloaded, startPlayback } from './session.js';

const title = { durationSeconds: 20, segmentSeconds: 4 };
const ladder = [constantBitrateRendition('low', 500e3, title), constantBitrateRendition('high', 2e6, title)];

describe('player state machine', () => {
  it('starts on the lowest rendition and starts playing once the startup buffer is in', () => {
    let s = startPlayback(ladder);
    const first = nextAction(s);
    expect(first).toEqual({ kind: 'fetch', segment: 0, rendition: 0, reason: 'start' });
    if (first.kind !== 'fetch') throw new Error('expected a fetch');
    s = segmentDownloaded(s, first, { bytes: 250_000, seconds: 1.5 });
    expect(s).toMatchObject({
      phase: 'playing',
      startupSeconds: 1.5,
      bufferSeconds: 4,
      timeSeconds: 1.5,
      bytes: 250_000,
    });
  });

  it('plays the buffer down while a download runs, and stalls when it runs dry', () => {
    let s = startPlayback(ladder);
    s = segmentDownloaded(s, { segment: 0, rendition: 0, reason: 'start' }, { bytes: 250_000, seconds: 1 });
    s = segmentDownloaded(s, { segment: 1, rendition: 0, reason: 'hold' }, { bytes: 250_000, seconds: 3 });
    expect(s).toMatchObject({ phase: 'playing', positionSeconds: 3, bufferSeconds: 5, rebufferSeconds: 0 });
    s = elapse(s, 7);
    expect(s).toMatchObject({
      phase: 'stalled',
      positionSeconds: 8,
      bufferSeconds: 0,
      rebufferSeconds: 2,
      rebufferCount: 1,
    });
    // resumes once the resume buffer is in; the stall lasted the whole download
    s = segmentDownloaded(s, { segment: 2, rendition: 0, reason: 'hold' }, { bytes: 250_000, seconds: 1 });
    expect(s).toMatchObject({ phase: 'playing', rebufferSeconds: 3, rebufferCount: 1, timeSeconds: 12 });
  });

  it('waits while the buffer is full, then fetches again', () => {
    let s = startPlayback(ladder, { maxBufferSeconds: 8 });
    s = segmentDownloaded(s, { segment: 0, rendition: 0, reason: 'start' }, { bytes: 250_000, seconds: 0.1 });
    s = segmentDownloaded(s, { segment: 1, rendition: 0, reason: 'hold' }, { bytes: 250_000, seconds: 0.1 });
    const wait = nextAction(s);
    expect(wait.kind).toBe('wait');
    if (wait.kind !== 'wait') throw new Error('expected a wait');
    expect(wait.seconds).toBeCloseTo(3.9, 9);
    s = elapse(s, wait.seconds);
    expect(nextAction(s)).toMatchObject({ kind: 'fetch', segment: 2 });
  });

  it('records a switch with the buffer and estimate it was made on, and credits played time per rendition', () => {
    let s = startPlayback(ladder, { abr: { upBufferSeconds: 4, lowBufferSeconds: 2 } });
    s = segmentDownloaded(
      s,
      { segment: 0, rendition: 0, reason: 'start' },
      { bytes: 250_000, seconds: 0.25 },
    );
    const up = nextAction(s);
    expect(up).toEqual({ kind: 'fetch', segment: 1, rendition: 1, reason: 'throughput-rise' });
    if (up.kind !== 'fetch') throw new Error('expected a fetch');
    s = segmentDownloaded(s, up, { bytes: 1_000_000, seconds: 1 });
    expect(s.switches).toEqual([
      {
        atSeconds: 0.25,
        segment: 1,
        from: 0,
        to: 1,
        reason: 'throughput-rise',
        bufferSeconds: 4,
        throughputBps: 8e6,
      },
    ]);
    s = elapse(s, 100);
    expect(s.phase).toBe('stalled');
    expect(s.secondsPlayed).toEqual([4, 4]);
    expect(s.segmentsFetched).toEqual([1, 1]);
  });

  it('ends when the content to play has played, waiting out the buffer after the last fetch', () => {
    let s = startPlayback(ladder, { playSeconds: 6 });
    s = segmentDownloaded(s, { segment: 0, rendition: 0, reason: 'start' }, { bytes: 250_000, seconds: 0.5 });
    s = segmentDownloaded(s, { segment: 1, rendition: 0, reason: 'hold' }, { bytes: 250_000, seconds: 0.5 });
    const drain = nextAction(s);
    expect(drain).toEqual({ kind: 'wait', seconds: 5.5 });
    if (drain.kind !== 'wait') throw new Error('expected a wait');
    s = elapse(s, drain.seconds);
    expect(s).toMatchObject({ phase: 'ended', positionSeconds: 6, timeSeconds: 6.5 });
    expect(nextAction(s)).toEqual({ kind: 'done' });
  });

  it('refuses a segment out of order and a ladder it cannot switch within', () => {
    const s = startPlayback(ladder);
    expect(() =>
      segmentDownloaded(s, { segment: 1, rendition: 0, reason: 'hold' }, { bytes: 1, seconds: 1 }),
    ).toThrow(/not the one to fetch next/);
    expect(() => startPlayback([ladder[1], ladder[0]].filter((r) => r !== undefined))).toThrow(/not above/);
    expect(() =>
      startPlayback([
        constantBitrateRendition('a', 1e5, title),
        constantBitrateRendition('b', 2e5, { durationSeconds: 20, segmentSeconds: 2 }),
      ]),
    ).toThrow(/has 10 segments, a has 5/);
    expect(() => startPlayback([])).toThrow(/no renditions/);
  });
});
