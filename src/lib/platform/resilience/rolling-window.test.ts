import { describe, expect, it } from 'vitest';
import { RollingWindow } from './rolling-window.js';

describe('RollingWindow', () => {
  it('counts outcomes within the window and drops those a whole window old', () => {
    const w = new RollingWindow(1_000, 10);
    w.record(0, true);
    w.record(50, false);
    w.record(550, false);
    expect(w.counts(600)).toEqual({ requests: 3, failures: 2 });
    // the slice [0, 100) leaves the window once the current slice is 10 slices later
    expect(w.counts(999)).toEqual({ requests: 3, failures: 2 });
    expect(w.counts(1_000)).toEqual({ requests: 1, failures: 1 });
    expect(w.counts(1_600)).toEqual({ requests: 0, failures: 0 });
  });

  it('forgets everything on reset', () => {
    const w = new RollingWindow(1_000, 4);
    w.record(10, false);
    w.reset();
    expect(w.counts(20)).toEqual({ requests: 0, failures: 0 });
  });

  it('rejects a window it cannot slice', () => {
    expect(() => new RollingWindow(0, 10)).toThrow(/windowMs/);
    expect(() => new RollingWindow(1_000, 0)).toThrow(/buckets/);
  });
});
