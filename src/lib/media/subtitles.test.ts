import { describe, expect, it } from 'vitest';
import { subtitleFileNames } from './subtitles.js';

describe('subtitleFileNames', () => {
  it('names by language, numbering repeats and marking forced tracks', () => {
    expect(
      subtitleFileNames([
        { language: 'eng', forced: false },
        { language: 'fra', forced: false },
        { language: 'eng', forced: false },
        { language: 'eng', forced: true },
        { language: '../x', forced: false },
        { language: '', forced: false },
      ]),
    ).toEqual(['eng.vtt', 'fra.vtt', 'eng-2.vtt', 'eng-forced.vtt', 'x.vtt', 'und.vtt']);
  });
});
