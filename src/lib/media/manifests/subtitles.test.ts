import { describe, expect, it } from 'vitest';
import { filesInMpd as mpdReferences } from './dash.js';
import { filesInHlsPlaylist as hlsReferences } from './hls.js';
import { addSubtitlesToMaster, addSubtitlesToMpd, subtitlePlaylist } from './subtitles.js';

const tracks = [
  { language: 'eng', title: null, default: false, forced: false, file: 'subtitles/eng.vtt' },
  { language: 'fra', title: 'Français', default: false, forced: false, file: 'subtitles/fra.vtt' },
];

describe('subtitles in manifests', () => {
  it('adds a subtitle group to the HLS master and to every variant', () => {
    const master =
      '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,RESOLUTION=2x2\nmedia_0.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=2\nmedia_1.m3u8\n';
    const out = addSubtitlesToMaster(master, tracks);
    expect(out).toContain(
      '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="eng",LANGUAGE="eng",DEFAULT=YES',
    );
    expect(out).toContain('NAME="Français",LANGUAGE="fra",DEFAULT=NO');
    expect(out.match(/SUBTITLES="subs"/g)).toHaveLength(2);
    expect(hlsReferences(out)).toEqual([
      'subtitles/eng.m3u8',
      'subtitles/fra.m3u8',
      'media_0.m3u8',
      'media_1.m3u8',
    ]);
  });

  it('makes a one-segment VOD playlist per track', () => {
    const pl = subtitlePlaylist(6, tracks[0] as (typeof tracks)[number]);
    expect(hlsReferences(pl)).toEqual(['eng.vtt']);
    expect(pl).toContain('#EXT-X-ENDLIST');
  });

  it('adds a text/vtt adaptation set per track to the MPD', () => {
    const out = addSubtitlesToMpd('<MPD><Period id="0">\n</Period></MPD>', tracks);
    expect(out.match(/mimeType="text\/vtt"/g)).toHaveLength(2);
    expect(mpdReferences(out)).toEqual(['subtitles/eng.vtt', 'subtitles/fra.vtt']);
  });
});
