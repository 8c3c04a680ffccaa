import { describe, expect, it } from 'vitest';
import { parseBandwidthProfile } from '../abr/bandwidth.js';
import { parseMediaDuration, shapeDownload } from './throttle.js';

const profile = parseBandwidthProfile('8mbps,800kbps@10s,0bps@20s');

describe('shapeDownload', () => {
  it('stretches a fast real download to what the profile allows, and says how long to wait', () => {
    // 1 MB at 8 Mbps = 1 s of media time; it really took 20 ms at speed 10 = 0.2 s
    const s = shapeDownload(profile, { bytes: 1e6, startVirtualSeconds: 0, realWallMs: 20 }, 10);
    expect(s.virtualSeconds).toBeCloseTo(1, 9);
    expect(s.waitMs).toBeCloseTo(80, 9);
  });

  it('follows a rate change during the download', () => {
    // from 9 s: 1 s at 8 Mbps (1 MB), then 1 MB more at 800 kbps = 10 s
    const s = shapeDownload(profile, { bytes: 2e6, startVirtualSeconds: 9, realWallMs: 0 }, 1);
    expect(s.virtualSeconds).toBeCloseTo(11, 9);
  });

  it('keeps the real time when the real download was slower than the profile', () => {
    const s = shapeDownload(profile, { bytes: 1000, startVirtualSeconds: 0, realWallMs: 500 }, 2);
    expect(s).toEqual({ virtualSeconds: 1, waitMs: 0 });
  });

  it('is Infinity when the link goes down for good first', () => {
    expect(
      shapeDownload(profile, { bytes: 2e6, startVirtualSeconds: 19, realWallMs: 1 }, 1).virtualSeconds,
    ).toBe(Number.POSITIVE_INFINITY);
  });

  it('refuses a speed that is not above 0', () => {
    expect(() => shapeDownload(profile, { bytes: 1, startVirtualSeconds: 0, realWallMs: 1 }, 0)).toThrow(
      RangeError,
    );
  });
});

describe('parseMediaDuration', () => {
  it('reads 30s, 2m, 1m30s, 1h and plain seconds', () => {
    expect(['30s', '2m', '1m30s', '1h', '45', '12.5', ' 10S '].map(parseMediaDuration)).toEqual([
      30, 120, 90, 3600, 45, 12.5, 10,
    ]);
  });

  it('refuses what is not a positive duration, with a usage error', () => {
    for (const bad of ['', '0s', 'abc', '10 min', '-5', 's']) {
      expect(() => parseMediaDuration(bad), bad).toThrow(/is not a duration to play/);
    }
  });
});
