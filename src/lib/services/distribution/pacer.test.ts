import { describe, expect, it } from 'vitest';
import { Pacer } from './pacer.js';

describe('Pacer', () => {
  it('lets one second of bytes through at once, then spaces fetches at the rate', () => {
    let now = 10_000;
    const pacer = new Pacer(1000, () => now);
    // one second of burst (1000 B ahead of the rate) and the fetch due now wait nothing
    expect(pacer.book(500)).toBe(0);
    expect(pacer.book(500)).toBe(0);
    // then each 500 B waits its half second
    expect(pacer.book(500)).toBe(0);
    expect(pacer.book(500)).toBe(500);
    expect(pacer.book(500)).toBe(1000);
    now += 1000;
    expect(pacer.book(500)).toBe(500);
  });

  it('does not save up more than one second of burst while idle', () => {
    let now = 0;
    const pacer = new Pacer(1000, () => now);
    now = 60_000;
    expect(pacer.book(1000)).toBe(0);
    expect(pacer.book(1000)).toBe(0);
    expect(pacer.book(1000)).toBe(1000);
  });
});
