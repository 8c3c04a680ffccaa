import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkConformance } from './conformance.js';
import { writeMpd } from './manifests/dash.js';
import { writeHlsMaster, writeHlsMediaPlaylist } from './manifests/hls.js';
import { type PackagedTrack, type PackageModel, trackBitrates } from './manifests/package-model.js';
import { readFragment, readInit } from './mp4/fragments.js';
import { cutsAtSync, cutsNearest, readSamples, writeSegments } from './mp4/segmenter.js';

/** Real ffmpeg dash-muxer output (see mp4/testdata/README.md): one 1 s video segment, two audio. */
const data = (f: string) => readFileSync(join(import.meta.dirname, 'mp4', 'testdata', f));

/** The tracks re-cut the way `packageTitle` cuts them, as an in-memory package. */
function flixPackage(): { files: Map<string, Buffer>; model: PackageModel } {
  const files = new Map<string, Buffer>();
  const place = (
    kind: 'video' | 'audio',
    id: string,
    initFile: string,
    segFiles: string[],
    cut: (s: ReturnType<typeof readSamples>, timescale: number) => number[],
  ): PackagedTrack => {
    const initBytes = data(initFile);
    const init = readInit(initBytes);
    const samples = readSamples(segFiles.map(data), init);
    const dir = `${kind}/${id}/`;
    files.set(`${dir}init.mp4`, initBytes);
    const segments = writeSegments(init.trackId, samples, cut(samples, init.timescale)).map((bytes, k) => {
      const f = readFragment(bytes, init);
      const uri = `${dir}seg-${String(k + 1).padStart(5, '0')}.m4s`;
      files.set(uri, bytes);
      return { uri, start: f.baseDecodeTime, duration: f.duration, bytes: bytes.length };
    });
    const rates = trackBitrates(segments, init.timescale, 1);
    return {
      kind,
      id,
      dir,
      codecs: init.codecs,
      timescale: init.timescale,
      init: `${dir}init.mp4`,
      segments,
      peakBitsPerSecond: rates.peak,
      averageBitsPerSecond: rates.average,
      presentationTimeOffset: 0,
      width: init.width,
      height: init.height,
      channels: init.channels,
      sampleRate: init.sampleRate,
      frameRate: kind === 'video' ? '25' : undefined,
      sar: kind === 'video' ? '1:1' : undefined,
    };
  };
  const model: PackageModel = {
    video: [place('video', '64p', 'init-0.m4s', ['seg-0-00001.m4s'], (s, ts) => cutsAtSync(s, ts, []))],
    // the audio cut where the (one-segment) video would continue: on the frame nearest 1 s
    audio: [
      place('audio', 'stereo', 'init-1.m4s', ['seg-1-00001.m4s', 'seg-1-00002.m4s'], (s, ts) =>
        cutsNearest(s, ts, [1]),
      ),
    ],
    subtitles: [],
    displayAspectRatio: '3:2',
  };
  for (const t of [...model.video, ...model.audio]) {
    files.set(`${t.dir}playlist.m3u8`, Buffer.from(writeHlsMediaPlaylist(t)));
  }
  files.set('master.m3u8', Buffer.from(writeHlsMaster(model)));
  files.set('manifest.mpd', Buffer.from(writeMpd(model)));
  return { files, model };
}

const reader = (files: Map<string, Buffer>) => async (path: string) => {
  const f = files.get(path);
  if (!f) throw new Error(`no ${path} in the package`);
  return f;
};

describe('checking manifests against the media', () => {
  it('passes what flix writes: every start and length as the boxes say', async () => {
    const { files } = flixPackage();
    const problems = await checkConformance({
      hlsMaster: 'master.m3u8',
      dashManifest: 'manifest.mpd',
      read: reader(files),
    });
    expect(problems).toEqual([]);
  });

  it("catches ffmpeg's own MPD, whose audio timeline is not its segments'", async () => {
    const files = new Map<string, Buffer>();
    for (const f of ['init-0.m4s', 'init-1.m4s', 'seg-0-00001.m4s', 'seg-1-00001.m4s', 'seg-1-00002.m4s']) {
      files.set(f, data(f));
    }
    // the manifest as ffmpeg wrote it, less the segments the test data does not keep
    const mpd = data('manifest.mpd')
      .toString('utf8')
      .replace('<S t="0" d="12800" r="1" />', '<S t="0" d="12800" />')
      .replace('<S d="2184" />', '');
    files.set('manifest.mpd', Buffer.from(mpd));
    const problems = await checkConformance({ dashManifest: 'manifest.mpd', read: reader(files) });
    expect(problems).toContain('manifest.mpd audio 1 segment 1: d=40960, its samples last 41984');
    expect(problems.some((p) => /segment 2: t=40960, its tfdt is 41984/.test(p))).toBe(true);
    // and the rest of what the issue measured on ffmpeg's packages
    expect(problems).toContain(
      'manifest.mpd video 0 segment 1: styp has no CMAF brand cmfs (msdh, msdh, msix)',
    );
    expect(problems).toContain(
      'manifest.mpd audio 1 segment 1: sidx says it starts with a SAP but gives SAP type 0',
    );
    expect(problems).toContain(
      'manifest.mpd: maxSegmentDuration 0.9 s is shorter than a segment (1.021678 s)',
    );
  });

  it('catches an EXTINF that is off by more than a sample, and a playlist start that drifts', async () => {
    const { files } = flixPackage();
    const path = 'audio/stereo/playlist.m3u8';
    const text = (files.get(path) as Buffer).toString('utf8');
    const lines = text.split('\n');
    const first = lines.findIndex((l) => l.startsWith('#EXTINF:'));
    lines[first] = '#EXTINF:0.92880,';
    files.set(path, Buffer.from(lines.join('\n')));
    const problems = await checkConformance({ hlsMaster: 'master.m3u8', read: reader(files) });
    expect(
      problems.some((p) => p.startsWith(`${path} segment 1: EXTINF 0.9288 s, its samples last 0.998458 s`)),
    ).toBe(true);
    expect(problems.some((p) => p.startsWith(`${path} segment 2: the playlist puts it at 0.9288 s`))).toBe(
      true,
    );
  });

  it('catches a presentation duration that is not the media, and a missing CHANNELS', async () => {
    const { files } = flixPackage();
    const mpd = (files.get('manifest.mpd') as Buffer)
      .toString('utf8')
      .replace(/mediaPresentationDuration="[^"]+"/, 'mediaPresentationDuration="PT2.5S"');
    files.set('manifest.mpd', Buffer.from(mpd));
    const master = (files.get('master.m3u8') as Buffer).toString('utf8').replace(/,?CHANNELS="\d+"/, '');
    files.set('master.m3u8', Buffer.from(master));
    const problems = await checkConformance({
      hlsMaster: 'master.m3u8',
      dashManifest: 'manifest.mpd',
      read: reader(files),
    });
    expect(problems.some((p) => /mediaPresentationDuration 2.5 s is longer than the media/.test(p))).toBe(
      true,
    );
    expect(problems.some((p) => /an audio rendition has no CHANNELS/.test(p))).toBe(true);
  });
});
