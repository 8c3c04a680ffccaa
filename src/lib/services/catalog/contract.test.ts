import { describe, expect, it } from 'vitest';
import { titleId, titleKey } from './contract.js';

describe('title names', () => {
  it('makes ids safe for keys and URLs, also from non-ASCII titles', () => {
    expect(titleId('Big Trip', 'a1b2c3')).toBe('big-trip-a1b2c3');
    expect(titleId('Café — Noir!', 'x')).toBe('cafe-noir-x');
    expect(titleId('東京', 'x')).toBe('title-x');
  });

  it('treats titles differing only in case, accents or spacing as the same title', () => {
    expect(titleKey('Big  Trip')).toBe(titleKey('big trip'));
    expect(titleKey('Café')).toBe(titleKey('cafe'));
  });
});
