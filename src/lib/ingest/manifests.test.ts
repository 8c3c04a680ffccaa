import { describe, expect, it } from 'vitest';
import { hlsDuration, hlsReferences, mpdReferences, resolveRef } from './manifests.js';

// shapes as ffmpeg 5.1's dash muxer writes them with hls_playlist=1
const master = `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="group_A1",NAME="audio_2",DEFAULT=YES,URI="media_2.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=828436,RESOLUTION=320x180,CODECS="avc1.42c00d,mp4a.40.2",AUDIO="group_A1"
media_0.m3u8

#EXT-X-STREAM-INF:BANDWIDTH=70744,RESOLUTION=160x90,CODECS="avc1.42c00b,mp4a.40.2",AUDIO="group_A1"
media_1.m3u8
`;
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
const mpd = `<MPD><Period id="0" start="PT0.0S">
<AdaptationSet id="0" contentType="video">
  <Representation id="0" mimeType="video/mp4" bandwidth="776169" width="320" height="180">
    <SegmentTemplate timescale="15360" initialization="init-$RepresentationID$.m4s" media="seg-$RepresentationID$-$Number%05d$.m4s" startNumber="1">
      <SegmentTimeline><S t="0" d="61440" r="1" /><S d="15360" /></SegmentTimeline>
    </SegmentTemplate>
  </Representation>
</AdaptationSet>
<AdaptationSet id="1" contentType="audio">
  <Representation id="2" mimeType="audio/mp4">
    <SegmentTemplate timescale="44100" initialization="init-$RepresentationID$.m4s" media="seg-$RepresentationID$-$Number%05d$.m4s" startNumber="1">
      <SegmentTimeline><S t="0" d="176128" /><S d="177152" /></SegmentTimeline>
    </SegmentTemplate>
  </Representation>
</AdaptationSet></Period></MPD>`;

describe('manifest references', () => {
  it('lists the playlists a master names, audio renditions included', () => {
    expect(hlsReferences(master)).toEqual(['media_2.m3u8', 'media_0.m3u8', 'media_1.m3u8']);
  });

  it('lists the init segment and media segments of a media playlist, and sums its duration', () => {
    expect(hlsReferences(media)).toEqual([
      'init-0.m4s',
      'seg-0-00001.m4s',
      'seg-0-00002.m4s',
      'seg-0-00003.m4s',
    ]);
    expect(hlsDuration(media)).toBe(9);
  });

  it('expands an MPD segment timeline, repeats included', () => {
    expect(mpdReferences(mpd)).toEqual([
      'init-0.m4s',
      'seg-0-00001.m4s',
      'seg-0-00002.m4s',
      'seg-0-00003.m4s',
      'init-2.m4s',
      'seg-2-00001.m4s',
      'seg-2-00002.m4s',
    ]);
  });

  it('resolves references against the manifest key', () => {
    expect(resolveRef('titles/x/master.m3u8', 'media_0.m3u8')).toBe('titles/x/media_0.m3u8');
    expect(resolveRef('titles/x/hls/a.m3u8', '../seg/1.m4s')).toBe('titles/x/seg/1.m4s');
  });
});
