/**
 * The media library against real ffmpeg/ffprobe on the synthetic fixtures (fixtures/make-fixtures.sh):
 * bad uploads are refused with their reason, the good clip goes all the way from probe to packaged
 * CMAF (HLS + DASH over one set of segments), and the awkward sources (VFR, 10-bit, odd size,
 * vertical, rotated, silent, non-ASCII name, subtitles) come out right. No cluster needed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { access, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Chunk,
  checkConformance,
  checkHlsKeyframes,
  checkPackage,
  checkRendition,
  concatChunks,
  durationMatches,
  encodeAudio,
  encodeVideoChunk,
  encodeVideoChunkRenditions,
  extractSubtitles,
  filesInHlsPlaylist,
  isMediaError,
  keyframeTimes,
  type Ladder,
  MediaToolError,
  makePoster,
  makeSprite,
  type PackageResult,
  packageTitle,
  planChunks,
  planLadder,
  probeMedia,
  type Rendition,
  type SourceInfo,
  validateSource,
} from '../src/lib/media/index.js';

const repoRoot = join(import.meta.dirname, '..');
const fixture = (name: string) => join(repoRoot, 'fixtures', 'media', name);
let work: string;

beforeAll(async () => {
  await execa('bash', [join(repoRoot, 'fixtures', 'make-fixtures.sh')], { stdio: 'inherit' });
  work = await mkdtemp(join(tmpdir(), 'flix-media-test-'));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** ffprobe's JSON for a file or manifest */
function ffprobe(
  target: string,
  ...entries: string[]
): { streams: Array<Record<string, unknown>>; format: Record<string, string> } {
  const out = execFileSync(
    'ffprobe',
    ['-v', 'error', '-of', 'json', '-show_entries', entries.join(':') || 'stream:format', target],
    { encoding: 'utf8' },
  );
  return JSON.parse(out);
}

/** Encode every chunk of every rendition, join them, check each; returns the joined files. */
async function encodeLadder(
  source: string,
  ladder: Ladder,
  chunks: Chunk[],
  dir: string,
  renditions: Rendition[] = ladder.video,
): Promise<{ files: Array<{ rendition: Rendition; file: string }>; seconds: Record<string, number> }> {
  const files = [];
  const seconds: Record<string, number> = {};
  for (const rendition of renditions) {
    const parts = [];
    seconds[rendition.name] = 0;
    for (const chunk of chunks) {
      const output = join(dir, `${rendition.name}-${chunk.index}.mp4`);
      const r = await encodeVideoChunk({ source, chunk, rendition, ladder, output, threads: 2 });
      seconds[rendition.name] += r.seconds;
      parts.push(r.output);
    }
    const joined = await concatChunks(parts, join(dir, `${rendition.name}.mp4`), {
      expectedFrames: ladder.totalFrames,
    });
    const check = await checkRendition(joined.output, { rendition, ladder });
    expect(check.problems, `${rendition.name} of ${source}`).toEqual([]);
    files.push({ rendition, file: joined.output });
  }
  return { files, seconds };
}

describe('validateSource refuses what cannot be a title, with a reason and a next step', () => {
  it.each([
    ['empty.mp4', 'empty-file', /is empty \(0 bytes\).*upload the file again/],
    ['text.mov', 'not-video', /is not a video file.*Upload a video file/],
    ['image.png', 'not-video', /is a still image/],
    ['truncated.mp4', 'corrupt', /looks like an MP4\/MOV file but cannot be read/],
    ['truncated-faststart.mp4', 'corrupt', /is cut off: it says it lasts 6\.0 s but data stops at/],
    ['audio-only.m4a', 'audio-only', /has sound but no picture/],
    ['short.mp4', 'too-short', /titles must last at least 1 s/],
    ['does-not-exist.mp4', 'not-found', /does not exist/],
  ])('%s → %s', async (name, reason, message) => {
    const err = await validateSource(fixture(name)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isMediaError(err), String(err)).toBe(true);
    if (!isMediaError(err)) return;
    expect(err.reason).toBe(reason);
    expect(err.message).toMatch(message);
    expect(err.nextStep.length).toBeGreaterThan(0);
  });
});

describe('validateSource accepts awkward but valid sources', () => {
  it('a silent video (no audio track)', async () => {
    const info = await validateSource(fixture('silent.mp4'));
    expect(info.audio).toBeNull();
  });

  it('odd dimensions, 4:4:4', async () => {
    const info = await validateSource(fixture('odd-1917x1079.mp4'));
    expect(info.video).toMatchObject({ width: 1917, height: 1079, pixFmt: 'yuv444p' });
  });

  it('a vertical video, and a landscape one rotated to vertical by its display matrix', async () => {
    expect((await validateSource(fixture('vertical-1080x1920.mp4'))).video).toMatchObject({
      displayWidth: 1080,
      displayHeight: 1920,
    });
    expect((await validateSource(fixture('rotated.mp4'))).video).toMatchObject({
      width: 320,
      height: 180,
      displayWidth: 180,
      displayHeight: 320,
      rotation: 90,
    });
  });

  it('a variable frame rate', async () => {
    const info = await validateSource(fixture('vfr.mp4'));
    expect(info.video).toMatchObject({ variableFrameRate: true, fps: 30, avgFps: 21 });
  });

  it('10-bit colour', async () => {
    expect((await validateSource(fixture('tenbit.mp4'))).video).toMatchObject({
      bitDepth: 10,
      pixFmt: 'yuv420p10le',
    });
  });

  it('spaces and non-ASCII in the file name', async () => {
    const info = await validateSource(fixture('Big Trip — café.mov'));
    expect(info.file).toContain('café');
    expect(info.durationSeconds).toBeCloseTo(2, 1);
  });
});

describe('the good clip, probe to package', () => {
  const source = fixture('good.mp4');
  let info: SourceInfo;
  let ladder: Ladder;
  let chunks: Chunk[];
  let out: string;
  let pkg: PackageResult;
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    info = await validateSource(source);
    ladder = planLadder(info);
    // one segment per chunk, so even a 6 s clip is joined from two chunks
    chunks = planChunks(ladder.durationSeconds, {
      segmentSeconds: ladder.segmentSeconds,
      chunkSeconds: ladder.segmentSeconds,
    });
    const dir = join(work, 'good');
    const encoded = await encodeLadder(source, ladder, chunks, dir);
    Object.assign(timings, encoded.seconds);
    const audio = await encodeAudio({ source, ladder, output: join(dir, 'audio.m4a') });
    timings.audio = audio.seconds;
    out = join(dir, 'out');
    const t0 = performance.now();
    pkg = await packageTitle({
      renditions: encoded.files,
      audio: [{ id: 'stereo', label: 'Stereo', file: audio.output }],
      outDir: out,
      segmentSeconds: ladder.segmentSeconds,
      displayAspectRatio: ladder.displayAspectRatio,
      frameRate: ladder.frameRate,
    });
    timings.package = (performance.now() - t0) / 1000;
    await makePoster({
      source: encoded.files[0]?.file as string,
      durationSeconds: ladder.durationSeconds,
      output: join(out, 'poster.jpg'),
    });
    await makeSprite({
      source: encoded.files.at(-1)?.file as string,
      durationSeconds: ladder.durationSeconds,
      outDir: out,
    });
    console.info(
      `good.mp4 (6 s 640×360): encode seconds per rendition, 2 chunks each: ${JSON.stringify(timings)}`,
    );
  });

  it('plans 360p + 240p + AAC, in two chunks on the 4 s segment boundary', () => {
    expect(ladder.video.map((r) => [r.name, r.width, r.height])).toEqual([
      ['360p', 640, 360],
      ['240p', 426, 240],
    ]);
    expect(ladder.audio).toMatchObject({ codec: 'aac', channels: 2 });
    expect(ladder).toMatchObject({ fps: 30, gopFrames: 120, segmentSeconds: 4, totalFrames: 180 });
    expect(chunks.map((c) => [c.startSeconds, c.durationSeconds])).toEqual([
      [0, 4],
      [4, 2],
    ]);
  });

  it('writes one set of CMAF segments named by both manifests, every one of them present', async () => {
    expect(pkg.hlsMaster).toBe('master.m3u8');
    expect(pkg.dashManifest).toBe('manifest.mpd');
    const check = await checkPackage(out, pkg);
    expect(check.problems).toEqual([]);
    // 2 segments for each of 2 renditions and the audio, each track with its init segment
    expect(check.named.filter((f) => f.endsWith('.m4s'))).toHaveLength(6);
    expect(check.named.filter((f) => f.endsWith('/init.mp4')).sort()).toEqual([
      'audio/stereo/init.mp4',
      'video/240p/init.mp4',
      'video/360p/init.mp4',
    ]);
    for (const f of pkg.files) await access(join(out, f));
    const brands = (await readFile(join(out, 'video/360p/init.mp4'))).subarray(8, 28).toString('latin1');
    expect(brands).toContain('cmfc');
    // beside the full manifests, a pair that offers 240p only
    expect(pkg.capped).toEqual({ '240p': { hls: 'master-240p.m3u8', dash: 'manifest-240p.mpd' } });
  });

  it('has an HLS master with BANDWIDTH, RESOLUTION, CODECS and an audio group', async () => {
    const master = await readFile(join(out, pkg.hlsMaster), 'utf8');
    const inf = master.split('\n').filter((l) => l.startsWith('#EXT-X-STREAM-INF:'));
    expect(inf).toHaveLength(2);
    expect(inf[0]).toMatch(
      /BANDWIDTH=\d+,AVERAGE-BANDWIDTH=\d+,RESOLUTION=640x360,FRAME-RATE=30\.000,CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2",AUDIO="/,
    );
    expect(inf[1]).toMatch(/RESOLUTION=426x240,FRAME-RATE=30\.000,CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2"/);
    expect(master).toMatch(
      /#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="[^"]+".*CHANNELS="2".*URI="audio\/stereo\/playlist\.m3u8"/,
    );
    const [hi, lo] = pkg.model.video;
    expect(hi?.peakBitsPerSecond).toBeGreaterThan(lo?.peakBitsPerSecond ?? Infinity);
    expect(hi?.peakBitsPerSecond).toBeGreaterThanOrEqual(hi?.averageBitsPerSecond ?? Infinity);
    const media = await readFile(join(out, 'video/360p/playlist.m3u8'), 'utf8');
    expect(media).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    expect(filesInHlsPlaylist(media)).toEqual(['init.mp4', 'seg-00001.m4s', 'seg-00002.m4s']);
  });

  it('has a DASH MPD with a video and a separate audio adaptation set', async () => {
    const mpd = await readFile(join(out, pkg.dashManifest), 'utf8');
    expect(mpd.match(/<AdaptationSet /g)).toHaveLength(2);
    expect(mpd).toMatch(/contentType="video"[\s\S]*width="640" height="360"[\s\S]*width="426" height="240"/);
    expect(mpd).toMatch(/contentType="audio"[\s\S]*codecs="mp4a\.40\.2"/);
  });

  it('reads back with ffprobe through the HLS master and through the MPD', () => {
    for (const manifest of [pkg.hlsMaster, pkg.dashManifest]) {
      const p = ffprobe(join(out, manifest), 'stream=codec_name,width,height', 'format=duration,format_name');
      const videos = p.streams.filter((s) => s.codec_name === 'h264').map((s) => `${s.width}x${s.height}`);
      expect(new Set(videos), manifest).toEqual(new Set(['640x360', '426x240']));
      expect(
        p.streams.some((s) => s.codec_name === 'aac'),
        manifest,
      ).toBe(true);
      expect(
        durationMatches(info.durationSeconds, Number(p.format.duration), ladder.segmentSeconds),
        manifest,
      ).toBe(true);
    }
  });

  it('puts a keyframe at every segment boundary of every rendition, and nowhere else', async () => {
    for (const v of pkg.model.video) {
      const playlist = join(out, v.dir, 'playlist.m3u8');
      expect(await checkHlsKeyframes(playlist, ladder.fps), v.id).toEqual([]);
      const keyframes = await keyframeTimes(playlist);
      expect(keyframes.map((k) => Math.round((k - (keyframes[0] ?? 0)) * 1000) / 1000)).toEqual([0, 4]);
    }
  });

  it('joins chunks frame-exactly: every frame of 360p matches the source frame at its time', () => {
    // testsrc2 moves every frame: aligned frames score ~40 dB, a one-frame slip ~22 dB
    const stats = execFileSync(
      'ffmpeg',
      [
        '-v',
        'error',
        '-i',
        join(work, 'good', '360p.mp4'),
        '-i',
        source,
        '-lavfi',
        '[0:v][1:v]psnr=stats_file=-',
        '-f',
        'null',
        '-',
      ],
      { encoding: 'utf8' },
    );
    const psnr = [...stats.matchAll(/psnr_avg:([\d.]+|inf)/g)].map((m) => Number(m[1] === 'inf' ? 99 : m[1]));
    expect(psnr).toHaveLength(180);
    expect(Math.min(...psnr)).toBeGreaterThan(30);
  });

  it('keeps every rendition as long as the source (within one segment)', () => {
    for (const v of ladder.video) {
      const p = ffprobe(join(work, 'good', `${v.name}.mp4`), 'stream=duration,nb_frames');
      expect(Number(p.streams[0]?.nb_frames)).toBe(180);
      expect(
        durationMatches(info.durationSeconds, Number(p.streams[0]?.duration), ladder.segmentSeconds),
      ).toBe(true);
    }
    const a = ffprobe(join(work, 'good', 'audio.m4a'), 'stream=codec_name,channels,sample_rate,duration');
    expect(a.streams[0]).toMatchObject({ codec_name: 'aac', channels: 2, sample_rate: '48000' });
    expect(Math.abs(Number(a.streams[0]?.duration) - 6)).toBeLessThan(0.05);
  });

  it('makes a poster and a 6-tile sprite with its WebVTT index', async () => {
    const poster = ffprobe(join(out, 'poster.jpg'), 'stream=codec_name,width,height');
    expect(poster.streams[0]).toMatchObject({ codec_name: 'mjpeg', width: 640, height: 360 });
    const sprite = ffprobe(join(out, 'sprite.jpg'), 'stream=width,height');
    expect(sprite.streams[0]).toMatchObject({ width: 6 * 160, height: 90 });
    const vtt = await readFile(join(out, 'sprite.vtt'), 'utf8');
    expect(vtt.startsWith('WEBVTT')).toBe(true);
    const cues = vtt.split('\n').filter((l) => l.includes('#xywh='));
    expect(cues).toHaveLength(6);
    expect(cues.at(-1)).toBe('sprite.jpg#xywh=800,0,160,90');
    expect(vtt).toContain('00:00:05.000 --> 00:00:06.000');
  });

  it('encodes all renditions of a chunk in one run (one decode), identical to separate runs', async () => {
    const dir = join(work, 'good-together');
    const chunk = chunks[1] as Chunk;
    // x264 is deterministic for a given thread count; compare with one thread each
    const together = await encodeVideoChunkRenditions({
      source,
      chunk,
      ladder,
      renditions: ladder.video.map((rendition) => ({
        rendition,
        output: join(dir, `${rendition.name}.mp4`),
      })),
      threads: 1,
    });
    expect(together.map((r) => r.frames)).toEqual([60, 60]);
    const md5 = (f: string) =>
      execFileSync('ffmpeg', ['-v', 'error', '-i', f, '-map', '0:v', '-f', 'md5', '-'], {
        encoding: 'utf8',
      }).trim();
    for (const [i, rendition] of ladder.video.entries()) {
      const alone = await encodeVideoChunk({
        source,
        chunk,
        rendition,
        ladder,
        output: join(dir, `${rendition.name}-alone.mp4`),
        threads: 1,
      });
      expect(together[i]?.bytes, rendition.name).toBe(alone.bytes);
      expect(md5(together[i]?.output as string), rendition.name).toBe(md5(alone.output));
    }
  });

  it('left only finished files behind (no temporary files)', async () => {
    const names = [...(await readdir(join(work, 'good'))), ...(await readdir(out))];
    expect(names.filter((n) => n.startsWith('.') || n.includes('partial') || n.endsWith('.tmp'))).toEqual([]);
  });
});

describe('awkward sources come out right', () => {
  it('VFR → constant 21 fps, every frame there, keyframes aligned', async () => {
    const source = fixture('vfr.mp4');
    const ladder = planLadder(await validateSource(source));
    expect(ladder).toMatchObject({ frameRate: '21/1', gopFrames: 84, totalFrames: 105 });
    const dir = join(work, 'vfr');
    const { files } = await encodeLadder(
      source,
      ladder,
      planChunks(ladder.durationSeconds, {
        segmentSeconds: ladder.segmentSeconds,
        chunkSeconds: ladder.segmentSeconds,
      }),
      dir,
    );
    const p = ffprobe(files[0]?.file as string, 'stream=r_frame_rate,avg_frame_rate,nb_frames');
    expect(p.streams[0]).toMatchObject({ r_frame_rate: '21/1', avg_frame_rate: '21/1', nb_frames: '105' });
  });

  it('10-bit → 8-bit 4:2:0 H.264', async () => {
    const source = fixture('tenbit.mp4');
    const ladder = planLadder(await validateSource(source));
    const { files } = await encodeLadder(
      source,
      ladder,
      planChunks(ladder.durationSeconds, { segmentSeconds: ladder.segmentSeconds }),
      join(work, 'tenbit'),
    );
    // checkRendition (inside encodeLadder) already insists on yuv420p; check the profile too
    const p = ffprobe(files[0]?.file as string, 'stream=profile,pix_fmt');
    expect(p.streams[0]).toMatchObject({ pix_fmt: 'yuv420p' });
    expect(String(p.streams[0]?.profile)).not.toMatch(/10/);
  });

  it('odd 1917×1079 → even renditions that package together (one aspect ratio for the MPD)', async () => {
    const source = fixture('odd-1917x1079.mp4');
    const ladder = planLadder(await validateSource(source));
    const top = ladder.video[0] as Rendition;
    const bottom = ladder.video.at(-1) as Rendition;
    expect([top.width, top.height]).toEqual([1916, 1078]);
    const dir = join(work, 'odd');
    const { files } = await encodeLadder(
      source,
      ladder,
      planChunks(ladder.durationSeconds, { segmentSeconds: ladder.segmentSeconds }),
      dir,
      [top, bottom],
    );
    const pkg = await packageTitle({
      renditions: files,
      audio: [],
      outDir: join(dir, 'out'),
      segmentSeconds: ladder.segmentSeconds,
      displayAspectRatio: ladder.displayAspectRatio,
    });
    expect((await checkPackage(join(dir, 'out'), pkg)).problems).toEqual([]);
    const p = ffprobe(join(dir, 'out', pkg.dashManifest), 'stream=width,height');
    expect(p.streams.map((s) => `${s.width}x${s.height}`)).toEqual([
      '1916x1078',
      `${bottom.width}x${bottom.height}`,
    ]);
  });

  it('vertical 1080×1920 → 240p is 240×426', async () => {
    const source = fixture('vertical-1080x1920.mp4');
    const ladder = planLadder(await validateSource(source));
    const small = ladder.video.find((r) => r.name === '240p') as Rendition;
    expect([small.width, small.height]).toEqual([240, 426]);
    await encodeLadder(
      source,
      ladder,
      planChunks(ladder.durationSeconds, { segmentSeconds: ladder.segmentSeconds }),
      join(work, 'vertical'),
      [small],
    );
  });

  it('rotated → upright 180×320 pictures without a display matrix', async () => {
    const source = fixture('rotated.mp4');
    const ladder = planLadder(await validateSource(source));
    const { files } = await encodeLadder(
      source,
      ladder,
      planChunks(ladder.durationSeconds, { segmentSeconds: ladder.segmentSeconds }),
      join(work, 'rotated'),
    );
    const p = await probeMedia(files[0]?.file as string);
    expect(p.video).toMatchObject({ width: 180, height: 320, rotation: 0 });
  });

  it('a silent title packages without audio', async () => {
    const source = fixture('silent.mp4');
    const ladder = planLadder(await validateSource(source));
    expect(ladder.audio).toBeNull();
    const dir = join(work, 'silent');
    const { files } = await encodeLadder(
      source,
      ladder,
      planChunks(ladder.durationSeconds, { segmentSeconds: ladder.segmentSeconds }),
      dir,
    );
    await expect(encodeAudio({ source, ladder, output: join(dir, 'audio.m4a') })).rejects.toThrow(/silent/);
    const pkg = await packageTitle({
      renditions: files,
      audio: [],
      outDir: join(dir, 'out'),
      segmentSeconds: ladder.segmentSeconds,
    });
    expect(pkg.model.audio).toEqual([]);
    const master = await readFile(join(dir, 'out', pkg.hlsMaster), 'utf8');
    expect(master).not.toContain('TYPE=AUDIO');
    expect(master).toMatch(/CODECS="avc1\.[0-9a-f]{6}"\n/);
    const mpd = await readFile(join(dir, 'out', pkg.dashManifest), 'utf8');
    expect(mpd.match(/<AdaptationSet /g)).toHaveLength(1);
    expect(
      ffprobe(join(dir, 'out', pkg.hlsMaster), 'stream=codec_name').streams.map((s) => s.codec_name),
    ).toEqual(['h264']);
  });

  it('a file named "Big Trip — café.mov" goes through, into a directory with the same kind of name', async () => {
    const source = fixture('Big Trip — café.mov');
    const ladder = planLadder(await validateSource(source));
    const dir = join(work, 'Big Trip — café');
    const { files } = await encodeLadder(
      source,
      ladder,
      planChunks(ladder.durationSeconds, { segmentSeconds: ladder.segmentSeconds }),
      dir,
    );
    const audio = await encodeAudio({ source, ladder, output: join(dir, 'son été.m4a') });
    const pkg = await packageTitle({
      renditions: files,
      audio: [{ id: 'stereo', label: 'Stereo', file: audio.output }],
      outDir: join(dir, 'sortie finale'),
      segmentSeconds: ladder.segmentSeconds,
    });
    expect((await checkPackage(join(dir, 'sortie finale'), pkg)).problems).toEqual([]);
    const p = ffprobe(join(dir, 'sortie finale', pkg.hlsMaster), 'stream=codec_name');
    expect(p.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
  });

  it('text subtitles become WebVTT files, one per language', async () => {
    const source = fixture('subtitles.mp4');
    const info = await validateSource(source);
    expect(info.subtitles.map((s) => [s.codec, s.language, s.text])).toEqual([
      ['mov_text', 'eng', true],
      ['mov_text', 'fra', true],
    ]);
    const outDir = join(work, 'subtitles');
    const result = await extractSubtitles(source, info, outDir);
    expect(result.tracks.map((t) => t.file)).toEqual(['subtitles/eng.vtt', 'subtitles/fra.vtt']);
    const eng = await readFile(join(outDir, 'subtitles/eng.vtt'), 'utf8');
    expect(eng).toMatch(
      /^WEBVTT\n\n00:00\.500 --> 00:02\.000\nHello, world!\n\n00:02\.500 --> 00:03\.800\nSecond line/,
    );
    expect(await readFile(join(outDir, 'subtitles/fra.vtt'), 'utf8')).toContain('Bonjour, le café — déjà !');
    expect(await readdir(join(outDir, 'subtitles'))).toEqual(['eng.vtt', 'fra.vtt']);
  });
});

/** Probe → ladder (its top and bottom rung) → encode → audio (stereo and any 5.1) → package. */
async function packageFixture(name: string, dir: string) {
  const source = fixture(name);
  const info = await validateSource(source);
  const ladder = planLadder(info);
  const rungs = [...new Set([ladder.video[0], ladder.video.at(-1)])] as Rendition[];
  const { files } = await encodeLadder(
    source,
    ladder,
    planChunks(ladder.durationSeconds, { segmentSeconds: ladder.segmentSeconds }),
    dir,
    rungs,
  );
  const audio = [];
  if (ladder.audio) {
    const stereo = await encodeAudio({ source, ladder, output: join(dir, 'stereo.m4a') });
    audio.push({ id: 'stereo', label: 'Stereo', file: stereo.output });
  }
  if (ladder.surround) {
    const surround = await encodeAudio({
      source,
      ladder,
      output: join(dir, 'surround.m4a'),
      track: 'surround',
    });
    audio.push({ id: 'surround', label: '5.1 Surround', file: surround.output });
  }
  const subtitlesDir = join(dir, 'subtitles-source');
  const subtitles = info.subtitles.length ? (await extractSubtitles(source, info, subtitlesDir)).tracks : [];
  const out = join(dir, 'out');
  const pkg = await packageTitle({
    renditions: files,
    audio,
    subtitles,
    subtitlesDir,
    outDir: out,
    segmentSeconds: ladder.segmentSeconds,
    displayAspectRatio: ladder.displayAspectRatio,
    frameRate: ladder.frameRate,
  });
  return { ladder, pkg, out, dir };
}

/** RMS level of each channel of a file's first audio stream, dBFS. */
function channelLevels(file: string): number[] {
  const r = spawnSync(
    'ffmpeg',
    [
      '-hide_banner',
      '-i',
      file,
      '-map',
      '0:a:0',
      '-af',
      'astats=measure_overall=none:measure_perchannel=RMS_level',
      '-f',
      'null',
      '-',
    ],
    { encoding: 'utf8' },
  );
  return [...r.stderr.matchAll(/RMS level dB: (-?[\d.]+|-inf)/g)].map((m) =>
    m[1] === '-inf' ? Number.NEGATIVE_INFINITY : Number(m[1]),
  );
}

describe('every kind of source comes out as manifests that describe its media exactly', () => {
  // the conformance check of validation: each manifest's timeline against the segments' boxes
  it.each([
    'good.mp4',
    'odd-1917x1079.mp4',
    'vertical-1080x1920.mp4',
    'vfr.mp4',
    'tenbit.mp4',
    'rotated.mp4',
    'subtitles.mp4',
    'surround.mov',
    'prores.mov',
    'silent.mp4',
  ])('%s', async (name) => {
    const { pkg, out } = await packageFixture(name, join(work, 'conformance', name));
    expect(
      await checkConformance({
        hlsMaster: pkg.hlsMaster,
        dashManifest: pkg.dashManifest,
        read: (f) => readFile(join(out, f)),
      }),
    ).toEqual([]);
    for (const capped of Object.values(pkg.capped)) {
      expect(
        await checkConformance({
          hlsMaster: capped.hls,
          dashManifest: capped.dash,
          read: (f) => readFile(join(out, f)),
        }),
      ).toEqual([]);
    }
  });
});

describe('surround sound', () => {
  let result: Awaited<ReturnType<typeof packageFixture>>;
  beforeAll(async () => {
    result = await packageFixture('surround.mov', join(work, 'surround'));
  });

  it('a 5.1 source gets a stereo track and a 5.1 AAC track, both offered by both manifests', async () => {
    const { ladder, pkg, out } = result;
    expect([ladder.audio?.channels, ladder.surround?.channels]).toEqual([2, 6]);
    expect(pkg.model.audio.map((a) => [a.id, a.channels, a.codecs])).toEqual([
      ['stereo', 2, 'mp4a.40.2'],
      ['surround', 6, 'mp4a.40.2'],
    ]);
    const master = await readFile(join(out, pkg.hlsMaster), 'utf8');
    expect(master).toMatch(/TYPE=AUDIO,GROUP-ID="audio",NAME="Stereo",CHANNELS="2",DEFAULT=YES/);
    expect(master).toMatch(/TYPE=AUDIO,GROUP-ID="audio",NAME="5.1 Surround",CHANNELS="6",DEFAULT=NO/);
    const mpd = await readFile(join(out, pkg.dashManifest), 'utf8');
    expect(mpd.match(/audio_channel_configuration:2011" value="(\d)"/g)).toEqual([
      'audio_channel_configuration:2011" value="2"',
      'audio_channel_configuration:2011" value="6"',
    ]);
    const s = ffprobe(join(out, 'audio/surround/init.mp4'), 'stream=channels,channel_layout').streams[0];
    expect(s).toMatchObject({ channels: 6, channel_layout: '5.1' });
  });

  it('keeps the centre channel in the stereo downmix, 3 dB down in each side, and in place in the 5.1', () => {
    const { dir } = result;
    const [centre] = channelLevels(fixture('surround.mov')).filter(Number.isFinite);
    const stereo = channelLevels(join(dir, 'stereo.m4a'));
    expect(stereo).toHaveLength(2);
    for (const level of stereo) expect(Math.abs(level - ((centre as number) - 3))).toBeLessThan(1);
    // AAC's 5.1 order: FL FR FC LFE BL BR — the tone is on the third channel only
    const surround = channelLevels(join(dir, 'surround.m4a'));
    expect(Math.abs((surround[2] as number) - (centre as number))).toBeLessThan(1);
    for (const i of [0, 1, 3, 4, 5]) expect(surround[i]).toBeLessThan((centre as number) - 40);
  });

  it('a stereo source gets stereo only', async () => {
    const ladder = planLadder(await validateSource(fixture('good.mp4')));
    expect([ladder.audio?.channels, ladder.surround]).toEqual([2, null]);
  });
});

describe('failures', () => {
  it('a failing ffmpeg run records its command and last lines, and leaves no output', async () => {
    const source = fixture('good.mp4');
    const ladder = planLadder(await validateSource(source));
    const bad = { ...(ladder.video[0] as Rendition), profile: 'bogus' as 'high' };
    const dir = join(work, 'failing');
    const err = await encodeVideoChunk({
      source,
      chunk: { index: 0, startSeconds: 0, durationSeconds: 4 },
      rendition: bad,
      ladder,
      output: join(dir, 'chunk.mp4'),
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MediaToolError);
    if (!(err instanceof MediaToolError)) return;
    expect(err.message).toMatch(/^encoding chunk 0 of 360p from good\.mp4 failed \(exit \d+\)/);
    expect(err.command).toContain('-profile:v bogus');
    expect(err.args).toContain(source);
    expect(err.stderrTail.join('\n')).toMatch(/profile/i);
    expect(await readdir(dir)).toEqual([]);
  });

  it('an abort kills ffmpeg at once, rejects with the reason and leaves nothing behind', async () => {
    const source = fixture('vertical-1080x1920.mp4');
    const ladder = planLadder(await validateSource(source));
    const dir = join(work, 'aborted');
    await mkdir(dir, { recursive: true });
    const controller = new AbortController();
    const started = performance.now();
    const encoding = encodeVideoChunk({
      source,
      chunk: { index: 0, startSeconds: 0, durationSeconds: ladder.durationSeconds },
      rendition: ladder.video[0] as Rendition,
      ladder,
      output: join(dir, 'chunk.mp4'),
      preset: 'slow',
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error('stop: test')), 300);
    await expect(encoding).rejects.toThrow('stop: test');
    expect(performance.now() - started).toBeLessThan(3000);
    expect(await readdir(dir)).toEqual([]);
    const children = execFileSync('ps', ['--ppid', String(process.pid), '-o', 'comm='], { encoding: 'utf8' });
    expect(children).not.toMatch(/ffmpeg|ffprobe/);
  });

  it('refuses to package into a directory that already has files', async () => {
    const dir = join(work, 'occupied');
    await mkdir(dir, { recursive: true });
    await execa('touch', [join(dir, 'something')]);
    await expect(
      packageTitle({
        renditions: [
          { rendition: { name: 'x', width: 2, height: 2 } as Rendition, file: fixture('good.mp4') },
        ],
        audio: [],
        outDir: dir,
        segmentSeconds: 4,
      }),
    ).rejects.toThrow(/already exists and is not empty/);
  });
});
