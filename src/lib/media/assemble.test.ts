import { describe, expect, it } from 'vitest';
import { concatList } from './assemble.js';

describe('concatList', () => {
  it('quotes paths for the concat demuxer, apostrophes included', () => {
    expect(concatList(['/w/a b.mp4', "/w/it's — café.mp4"])).toBe(
      "file '/w/a b.mp4'\nfile '/w/it'\\''s — café.mp4'\n",
    );
  });
});
