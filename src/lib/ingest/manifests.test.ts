import { describe, expect, it } from 'vitest';
import { hlsDuration, resolveRef } from './manifests.js';

const media = `#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:4
#EXT-X-MEDIA-SEQUENCE:1
#EXT-X-MAP:URI="init-0.m4s"
#EXTINF:4.000000,
seg-0-00001.m4s
#EXTINF:4.000000,
seg-0-00002.m4s
#EXTINF:1.000000,
seg-0-00003.m4s
#EXT-X-ENDLIST
`;

describe('manifest helpers', () => {
  it("sums a media playlist's duration", () => {
    expect(hlsDuration(media)).toBe(9);
  });

  it('resolves references against the manifest key', () => {
    expect(resolveRef('titles/x/master.m3u8', 'media_0.m3u8')).toBe('titles/x/media_0.m3u8');
    expect(resolveRef('titles/x/hls/a.m3u8', '../seg/1.m4s')).toBe('titles/x/seg/1.m4s');
  });
});
