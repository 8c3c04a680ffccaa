import { describe, expect, it } from 'vitest';
import { type AbrInput, chooseRendition, highestFitting } from './choose.js';

const ladder = [450e3, 860e3, 1_370e3, 2_610e3, 5_000e3];
const choose = (input: Partial<AbrInput>) =>
  chooseRendition({ bitratesBps: ladder, current: 2, throughputBps: undefined, bufferSeconds: 15, ...input });

describe('chooseRendition', () => {
  it('starts on the lowest rendition without an estimate, and within the estimate with one', () => {
    expect(choose({ current: undefined })).toEqual({ index: 0, reason: 'start' });
    // 2 Mbit/s fits 1 370 kbit/s × 1.15 but not 2 610 kbit/s
    expect(choose({ current: undefined, throughputBps: 2e6 })).toEqual({ index: 2, reason: 'start' });
  });

  it('never switches up below the buffer threshold, however fast the link', () => {
    expect(choose({ throughputBps: 100e6, bufferSeconds: 9.9 })).toEqual({ index: 2, reason: 'hold' });
    expect(choose({ throughputBps: 100e6, bufferSeconds: 10 })).toEqual({
      index: 4,
      reason: 'throughput-rise',
    });
  });

  it('switches up only when throughput exceeds the higher bitrate by the safety factor', () => {
    expect(choose({ throughputBps: 2_610e3 * 1.39 })).toEqual({ index: 2, reason: 'hold' });
    expect(choose({ throughputBps: 2_610e3 * 1.4 })).toEqual({ index: 3, reason: 'throughput-rise' });
    expect(choose({ throughputBps: 5_000e3 * 1.4 })).toEqual({ index: 4, reason: 'throughput-rise' });
  });

  it('switches down at once when throughput falls below the current bitrate, even with a full buffer', () => {
    expect(choose({ current: 4, throughputBps: 4.9e6, bufferSeconds: 30 })).toEqual({
      index: 3,
      reason: 'throughput-drop',
    });
    expect(choose({ current: 4, throughputBps: 800e3, bufferSeconds: 30 })).toEqual({
      index: 0,
      reason: 'throughput-drop',
    });
    expect(choose({ current: 0, throughputBps: 100e3, bufferSeconds: 0 })).toEqual({
      index: 0,
      reason: 'hold',
    });
  });

  it('steps down on a low buffer unless the throughput clearly sustains the current rendition', () => {
    expect(choose({ current: 3, throughputBps: 3e6, bufferSeconds: 5 })).toEqual({
      index: 2,
      reason: 'low-buffer',
    });
    expect(choose({ current: 3, throughputBps: undefined, bufferSeconds: 5 })).toEqual({
      index: 2,
      reason: 'low-buffer',
    });
    expect(choose({ current: 3, throughputBps: 2_610e3 * 1.4, bufferSeconds: 5 })).toEqual({
      index: 3,
      reason: 'hold',
    });
    expect(choose({ current: 3, throughputBps: 3e6, bufferSeconds: 6 })).toEqual({
      index: 3,
      reason: 'hold',
    });
  });

  it('takes its thresholds from the options', () => {
    expect(
      chooseRendition(
        { bitratesBps: ladder, current: 0, throughputBps: 1e6, bufferSeconds: 4 },
        { upSafetyFactor: 1.1, upBufferSeconds: 4, lowBufferSeconds: 2 },
      ),
    ).toEqual({ index: 1, reason: 'throughput-rise' });
  });

  it('refuses a ladder out of order and impossible options', () => {
    expect(() =>
      chooseRendition({ bitratesBps: [2, 1], current: 0, throughputBps: 1, bufferSeconds: 0 }),
    ).toThrow(/increasing/);
    expect(() =>
      chooseRendition({ bitratesBps: [], current: 0, throughputBps: 1, bufferSeconds: 0 }),
    ).toThrow(/no renditions/);
    expect(() =>
      chooseRendition(
        { bitratesBps: ladder, current: 0, throughputBps: 1, bufferSeconds: 0 },
        { upSafetyFactor: 0.5 },
      ),
    ).toThrow(/safety/);
    expect(() =>
      chooseRendition(
        { bitratesBps: ladder, current: 0, throughputBps: 1, bufferSeconds: 0 },
        { lowBufferSeconds: 20, upBufferSeconds: 10 },
      ),
    ).toThrow(/lowBufferSeconds/);
  });
});

describe('highestFitting', () => {
  it('is the best rendition whose bitrate × factor fits, or the lowest', () => {
    expect(highestFitting(ladder, 3e6, 1)).toBe(3);
    expect(highestFitting(ladder, 3e6, 1.2)).toBe(2);
    expect(highestFitting(ladder, 1, 1)).toBe(0);
  });
});
