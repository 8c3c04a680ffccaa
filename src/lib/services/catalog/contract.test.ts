import { describe, expect, it } from 'vitest';
import { checkTitleName, titleId, titleKey } from './contract.js';

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

describe('checkTitleName', () => {
  it('takes any script and emoji, trimmed', () => {
    for (const t of [
      'Big Trip',
      '東京物語',
      'Ελληνικά',
      'עברית‏',
      'العربية',
      'हिन्दी',
      '🎬🍿',
      '👨‍👩‍👧 family',
    ]) {
      expect(checkTitleName(`  ${t} `)).toEqual({ ok: true, name: t });
    }
  });

  it('refuses what cannot be a name, saying why', () => {
    expect(checkTitleName('   ')).toMatchObject({ ok: false, problem: expect.stringContaining('visible') });
    expect(checkTitleName('\u200f\u200e')).toMatchObject({ ok: false });
    expect(checkTitleName('a\tb')).toMatchObject({ ok: false, problem: expect.stringContaining('control') });
    expect(checkTitleName('x\ud800y')).toMatchObject({
      ok: false,
      problem: expect.stringContaining('Unicode'),
    });
    expect(checkTitleName('🎬'.repeat(201))).toMatchObject({
      ok: false,
      problem: expect.stringContaining('200'),
    });
    expect(checkTitleName('🎬'.repeat(200))).toMatchObject({ ok: true });
  });

  it('treats names that differ only by invisible direction marks as the same title, but not two emoji', () => {
    expect(titleKey('\u200fشاي')).toBe(titleKey('شاي'));
    expect(titleKey('🎬')).not.toBe(titleKey('🍿'));
    expect(titleKey('👨‍👩')).not.toBe(titleKey('👨👩'));
  });
});
