import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FlixError } from '../../core/errors.js';
import { filesInMpd, fillTemplate, parseIsoDuration, parseMpd, parseXml } from './dash.js';

// real packager output, see testdata/README.md
const dir = join(import.meta.dirname, 'testdata');
const read = (f: string) => readFileSync(join(dir, f), 'utf8');

describe('parseXml', () => {
  it('reads elements, attributes (namespace prefixes dropped), text, entities and comments', () => {
    const root = parseXml(
      '<?xml version="1.0"?><!-- c --><a xmlns:x="u" x:k="1 &amp; 2"><b>t&lt;</b><c v=\'q\'/></a>',
    );
    const a = root.children[0];
    expect(a?.attrs).toEqual({ x: 'u', k: '1 & 2' });
    expect(a?.children.map((c) => [c.name, c.text, c.attrs])).toEqual([
      ['b', 't<', {}],
      ['c', '', { v: 'q' }],
    ]);
  });

  it('throws on tags that do not match', () => {
    expect(() => parseXml('<a><b></a>')).toThrow(/closes <b>/);
    expect(() => parseXml('<a>')).toThrow(/never closed/);
  });
});

describe('parseIsoDuration and fillTemplate', () => {
  it('reads ISO 8601 durations', () => {
    expect(parseIsoDuration('PT6.0S')).toBe(6);
    expect(parseIsoDuration('PT1H2M3.5S')).toBe(3723.5);
    expect(parseIsoDuration('P1DT1S')).toBe(86401);
    expect(parseIsoDuration('6s')).toBeNaN();
  });

  it('fills $RepresentationID$, $Number%05d$, $Time$, $Bandwidth$ and $$', () => {
    const v = { RepresentationID: '2', Number: 7, Time: 61440, Bandwidth: 900 };
    expect(fillTemplate('seg-$RepresentationID$-$Number%05d$.m4s', v)).toBe('seg-2-00007.m4s');
    expect(fillTemplate('$Bandwidth$/$Time$.m4s?a=$$', v)).toBe('900/61440.m4s?a=$');
    expect(() => fillTemplate('$Number$', { RepresentationID: '1' })).toThrow(/\$Number\$ has no value/);
  });
});

describe('parseMpd on real packager output', () => {
  it('the good clip: one <S> per segment, audio with its own timescale', () => {
    const p = parseMpd(read('good-clip.mpd'));
    expect(p.protocol).toBe('dash');
    expect(p.durationSeconds).toBe(6);
    // @bandwidth of the video plus the audio's 127399
    expect(p.video.map((t) => [t.id, t.bitrateBps, t.width, t.height, t.init])).toEqual([
      ['240p', 438424 + 127399, 426, 240, 'init-1.m4s'],
      ['360p', 848526 + 127399, 640, 360, 'init-0.m4s'],
    ]);
    expect(p.video[1]?.segments).toEqual([
      { uri: 'seg-0-00001.m4s', startSeconds: 0, durationSeconds: 4 },
      { uri: 'seg-0-00002.m4s', startSeconds: 4, durationSeconds: 2 },
    ]);
    expect(p.audio?.id).toBe('audio-2');
    expect(p.audio?.segments.map((s) => s.uri)).toEqual(['seg-2-00001.m4s', 'seg-2-00002.m4s']);
    expect(p.audio?.segments[1]?.startSeconds).toBeCloseTo(189440 / 48000, 9);
  });

  it('Big Trip: S@r repeats, the same segments as its HLS playlists', () => {
    const p = parseMpd(read('big-trip/manifest.mpd'));
    expect(p.durationSeconds).toBe(40);
    expect(p.video.map((t) => t.id)).toEqual(['240p', '360p', '480p', '720p']);
    for (const t of p.video) expect(t.segments).toHaveLength(10);
    expect(p.video[3]?.segments[9]).toEqual({ uri: 'seg-0-00010.m4s', startSeconds: 36, durationSeconds: 4 });
    const hlsAudio = read('big-trip/media_4.m3u8')
      .split('\n')
      .filter((l) => l.startsWith('seg-'));
    expect(p.audio?.segments.map((s) => s.uri)).toEqual(hlsAudio);
  });
});

describe('parseMpd on the other addressing forms', () => {
  const mpd = (set: string) =>
    `<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT10S"><Period>${set}</Period></MPD>`;

  it('a SegmentTemplate with @duration on the AdaptationSet, inherited', () => {
    const p = parseMpd(
      mpd(`<AdaptationSet mimeType="video/mp4"><SegmentTemplate timescale="1000" duration="4000" startNumber="0" media="$RepresentationID$/$Number$.m4s" initialization="$RepresentationID$/init.mp4"/>
        <Representation id="lo" bandwidth="100" height="240"/><Representation id="hi" bandwidth="200" height="480"/></AdaptationSet>`),
    );
    expect(p.audio).toBeNull();
    expect(p.video.map((t) => [t.id, t.bitrateBps, t.init])).toEqual([
      ['240p', 100, 'lo/init.mp4'],
      ['480p', 200, 'hi/init.mp4'],
    ]);
    expect(p.video[1]?.segments).toEqual([
      { uri: 'hi/0.m4s', startSeconds: 0, durationSeconds: 4 },
      { uri: 'hi/1.m4s', startSeconds: 4, durationSeconds: 4 },
      { uri: 'hi/2.m4s', startSeconds: 8, durationSeconds: 2 },
    ]);
  });

  it('a SegmentList with an Initialization and SegmentURLs', () => {
    const p = parseMpd(
      mpd(`<AdaptationSet contentType="video"><Representation id="v" bandwidth="300" height="360">
        <SegmentList timescale="10" duration="60"><Initialization sourceURL="v/init.mp4"/>
        <SegmentURL media="v/a.m4s"/><SegmentURL media="v/b.m4s"/></SegmentList></Representation></AdaptationSet>`),
    );
    expect(p.video[0]?.init).toBe('v/init.mp4');
    expect(p.video[0]?.segments).toEqual([
      { uri: 'v/a.m4s', startSeconds: 0, durationSeconds: 6 },
      { uri: 'v/b.m4s', startSeconds: 6, durationSeconds: 4 },
    ]);
  });

  it('skips subtitle sets (BaseURL only) and refuses what it cannot play', () => {
    const text = `<AdaptationSet contentType="text" mimeType="text/vtt"><Representation id="sub0" bandwidth="256"><BaseURL>subtitles/en.vtt</BaseURL></Representation></AdaptationSet>`;
    expect(() => parseMpd(mpd(text))).toThrow(/no video Representation/);
    expect(() => parseMpd('#EXTM3U')).toThrow(FlixError);
    expect(() =>
      parseMpd(mpd('<AdaptationSet contentType="video"><Representation id="x"/></AdaptationSet>')),
    ).toThrow(/neither SegmentTemplate nor SegmentList/);
    expect(() => parseMpd('<MPD type="dynamic"><Period/></MPD>')).toThrow(/live/);
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
