import { describe, expect, it } from 'vitest';
import {
  durationMatches,
  filesInHlsPlaylist,
  filesInMpd,
  keyframeProblems,
  segmentBoundaries,
} from './validate.js';

describe('durationMatches', () => {
  it('accepts a difference of up to one segment, either way', () => {
    expect(durationMatches(60, 60, 4)).toBe(true);
    expect(durationMatches(60, 56.1, 4)).toBe(true);
    expect(durationMatches(60, 64, 4)).toBe(true);
    expect(durationMatches(60, 55.9, 4)).toBe(false);
    expect(durationMatches(60, 64.01, 4)).toBe(false);
    expect(durationMatches(60, Number.NaN, 4)).toBe(false);
  });
});

describe('segmentBoundaries', () => {
  it('starts a segment every segment length until the end', () => {
    expect(segmentBoundaries(10, 4)).toEqual([0, 4, 8]);
    expect(segmentBoundaries(8, 4)).toEqual([0, 4]);
    expect(segmentBoundaries(2, 4)).toEqual([0]);
  });
});

describe('keyframeProblems', () => {
  const frame = 1 / 30;
  it('is happy with a keyframe at every boundary and nowhere else', () => {
    expect(keyframeProblems([0, 4, 8], [0, 4, 8], frame / 2)).toEqual([]);
  });

  it('measures from the first keyframe (fMP4 read through HLS starts at the B-frame delay)', () => {
    expect(keyframeProblems([0.066667, 4.066667, 8.066667], [0, 4, 8], frame / 2)).toEqual([]);
  });

  it('reports a missing keyframe and a stray (scene-cut) keyframe', () => {
    expect(keyframeProblems([0, 4, 5.5], [0, 4, 8], frame / 2)).toEqual([
      'no keyframe where the segment at 8.000 s starts',
      'keyframe at 5.500 s is not on a segment boundary',
    ]);
  });

  it('does not accept a keyframe one frame off', () => {
    expect(keyframeProblems([0, 4 + frame], [0, 4], frame / 2)).toHaveLength(2);
  });

  it('reports a file without keyframes', () => {
    expect(keyframeProblems([], [0], 0.01)).toEqual(['no keyframes at all']);
  });
});

describe('filesInHlsPlaylist', () => {
  it('lists the media playlists of a master, audio renditions included', () => {
    const master = [
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="group_A1",NAME="audio_2",DEFAULT=YES,URI="media_2.m3u8"',
      '#EXT-X-STREAM-INF:BANDWIDTH=867238,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2",AUDIO="group_A1"',
      'media_0.m3u8',
      '',
      '#EXT-X-STREAM-INF:BANDWIDTH=484642,RESOLUTION=426x240,CODECS="avc1.640015,mp4a.40.2",AUDIO="group_A1"',
      'media_1.m3u8',
    ].join('\n');
    expect(filesInHlsPlaylist(master)).toEqual(['media_2.m3u8', 'media_0.m3u8', 'media_1.m3u8']);
  });

  it('lists the init segment and the media segments of a media playlist', () => {
    const media = [
      '#EXTM3U',
      '#EXT-X-TARGETDURATION:4',
      '#EXT-X-MAP:URI="init-0.m4s"',
      '#EXTINF:4.000000,',
      'seg-0-00001.m4s',
      '#EXTINF:2.000000,',
      'seg-0-00002.m4s',
      '#EXT-X-ENDLIST',
    ].join('\r\n');
    expect(filesInHlsPlaylist(media)).toEqual(['init-0.m4s', 'seg-0-00001.m4s', 'seg-0-00002.m4s']);
  });
});

describe('filesInMpd', () => {
  it('expands SegmentTemplate + SegmentTimeline for every Representation', () => {
    const mpd = `<?xml version="1.0" encoding="utf-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static">
  <Period id="0" start="PT0.0S">
    <AdaptationSet id="0" contentType="video">
      <Representation id="0" mimeType="video/mp4" codecs="avc1.64001e" bandwidth="738737" width="640" height="360">
        <SegmentTemplate timescale="15360" initialization="init-$RepresentationID$.m4s" media="seg-$RepresentationID$-$Number%05d$.m4s" startNumber="1">
          <SegmentTimeline>
            <S t="0" d="61440" r="2" />
            <S d="30720" />
          </SegmentTimeline>
        </SegmentTemplate>
      </Representation>
    </AdaptationSet>
    <AdaptationSet id="1" contentType="audio">
      <Representation id="1" mimeType="audio/mp4" bandwidth="124335">
        <SegmentTemplate timescale="48000" initialization="a-$Bandwidth$.m4s" media="a-$Time$.m4s" startNumber="5">
          <SegmentTimeline>
            <S t="1000" d="189440" />
            <S d="99328" />
          </SegmentTimeline>
        </SegmentTemplate>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>`;
    expect(filesInMpd(mpd)).toEqual([
      'init-0.m4s',
      'seg-0-00001.m4s',
      'seg-0-00002.m4s',
      'seg-0-00003.m4s',
      'seg-0-00004.m4s',
      'a-124335.m4s',
      'a-1000.m4s',
      'a-190440.m4s',
    ]);
  });
});
