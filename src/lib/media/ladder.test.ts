import { describe, expect, it } from 'vitest';
import {
  aspectRatio,
  h264Level,
  type Ladder,
  outputFrameRate,
  planLadder,
  renditionSizes,
  videoBitrateKbps,
} from './ladder.js';
import type { MediaInfo, VideoInfo } from './probe.js';

function source(video: Partial<VideoInfo> = {}, rest: Partial<MediaInfo> = {}): MediaInfo {
  const v: VideoInfo = {
    index: 0,
    codec: 'h264',
    profile: 'High',
    width: 1920,
    height: 1080,
    displayWidth: video.width ?? 1920,
    displayHeight: video.height ?? 1080,
    rotation: 0,
    sampleAspectRatio: '1:1',
    fps: 30,
    frameRate: '30/1',
    avgFps: 30,
    avgFrameRate: '30/1',
    variableFrameRate: false,
    pixFmt: 'yuv420p',
    bitDepth: 8,
    frames: 300,
    startSeconds: 0,
    durationSeconds: 10,
    ...video,
  };
  return {
    file: '/in/title.mp4',
    sizeBytes: 1000,
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    durationSeconds: v.durationSeconds,
    startSeconds: 0,
    video: v,
    audio: {
      index: 1,
      codec: 'aac',
      channels: 2,
      channelLayout: 'stereo',
      sampleRate: 48000,
      startSeconds: 0,
      durationSeconds: 10,
    },
    subtitles: [],
    ...rest,
  };
}

const sizes = (l: Ladder) => l.video.map((r) => `${r.name}=${r.width}x${r.height}`);

describe('planLadder', () => {
  it('gives a 1080p source the five default rungs, largest first, 16:9 and even', () => {
    const l = planLadder(source());
    expect(sizes(l)).toEqual([
      '1080p=1920x1080',
      '720p=1280x720',
      '480p=854x480',
      '360p=640x360',
      '240p=426x240',
    ]);
    for (const r of l.video) {
      expect(r.width % 2).toBe(0);
      expect(r.height % 2).toBe(0);
    }
    expect(l.displayAspectRatio).toBe('16:9');
  });

  it('never upscales: a 720p source stops at 720p', () => {
    const l = planLadder(source({ width: 1280, height: 720 }));
    expect(sizes(l)).toEqual(['720p=1280x720', '480p=854x480', '360p=640x360', '240p=426x240']);
    for (const r of l.video) {
      expect(r.width).toBeLessThanOrEqual(1280);
      expect(r.height).toBeLessThanOrEqual(720);
    }
  });

  it('keeps a source between rungs at the rung below (1000×562 → 480p first)', () => {
    expect(sizes(planLadder(source({ width: 1000, height: 562 })))[0]).toBe('480p=854x480');
  });

  it('rounds odd sizes to even numbers without going past the source (1917×1079)', () => {
    const l = planLadder(source({ width: 1917, height: 1079 }));
    expect(l.video[0]).toMatchObject({ name: '1080p', width: 1916, height: 1078 });
    expect(sizes(l).slice(1)).toEqual(['720p=1280x720', '480p=852x480', '360p=640x360', '240p=426x240']);
  });

  it('keeps a non-16:9 width (1918×1080) and rounds scaled widths to even', () => {
    const l = planLadder(source({ width: 1918, height: 1080 }));
    expect(l.video[0]).toMatchObject({ width: 1918, height: 1080 });
    expect(l.video[1]).toMatchObject({ width: 1278, height: 720 });
  });

  it('names vertical video by its short side: 1080×1920 gets 1080p = 1080×1920', () => {
    const l = planLadder(source({ width: 1080, height: 1920 }));
    expect(sizes(l)).toEqual([
      '1080p=1080x1920',
      '720p=720x1280',
      '480p=480x854',
      '360p=360x640',
      '240p=240x426',
    ]);
    expect(l.displayAspectRatio).toBe('9:16');
  });

  it('gives vertical and landscape twins the same bitrates', () => {
    const land = planLadder(source({ width: 1920, height: 1080 }));
    const port = planLadder(source({ width: 1080, height: 1920 }));
    expect(port.video.map((r) => r.bitrateKbps)).toEqual(land.video.map((r) => r.bitrateKbps));
  });

  it('plans by the displayed size: a rotated phone video is vertical', () => {
    const l = planLadder(
      source({ width: 1920, height: 1080, displayWidth: 1080, displayHeight: 1920, rotation: 90 }),
    );
    expect(l.video[0]).toMatchObject({ width: 1080, height: 1920 });
  });

  it('gives a source smaller than 240p one rendition at its own size', () => {
    expect(sizes(planLadder(source({ width: 320, height: 180 })))).toEqual(['180p=320x180']);
    expect(sizes(planLadder(source({ width: 175, height: 99 })))).toEqual(['98p=174x98']);
  });

  it('scales bitrates with pixels: more pixels, more bits; fewer bits per pixel', () => {
    const l = planLadder(source());
    const kbps = l.video.map((r) => r.bitrateKbps);
    expect(kbps).toEqual([...kbps].sort((a, b) => b - a));
    expect(new Set(kbps).size).toBe(kbps.length);
    const bitsPerPixel = l.video.map((r) => r.bitrateKbps / (r.width * r.height));
    expect(bitsPerPixel).toEqual([...bitsPerPixel].sort((a, b) => a - b));
    expect(l.video[0]?.bitrateKbps).toBe(5000);
    for (const r of l.video) {
      expect(r.maxrateKbps).toBe(Math.round(r.bitrateKbps * 1.5));
      expect(r.bufsizeKbps).toBe(r.bitrateKbps * 3);
    }
  });

  it('sets a fixed GOP of one segment and an exact segment length', () => {
    const l = planLadder(source());
    expect(l.gopFrames).toBe(120);
    expect(l.segmentSeconds).toBe(4);
    expect(l.totalFrames).toBe(300);
    const ntsc = planLadder(
      source({ fps: 29.97, frameRate: '30000/1001', avgFps: 29.97, avgFrameRate: '30000/1001' }),
    );
    expect(ntsc.frameRate).toBe('30000/1001');
    expect(ntsc.gopFrames).toBe(120);
    expect(ntsc.segmentSeconds).toBeCloseTo(4.004, 9);
  });

  it('outputs a variable-frame-rate source at a constant rate near its average', () => {
    const phone = planLadder(
      source({
        fps: 30,
        frameRate: '30/1',
        avgFps: 29.83,
        avgFrameRate: '2983/100',
        variableFrameRate: true,
      }),
    );
    expect(phone.frameRate).toBe('30000/1001');
    const odd = planLadder(
      source({ fps: 30, frameRate: '30/1', avgFps: 21, avgFrameRate: '21/1', variableFrameRate: true }),
    );
    expect(odd.frameRate).toBe('21/1');
    expect(odd.gopFrames).toBe(84);
  });

  it('plans AAC stereo (downmixing surround), mono at half rate, none for a silent title', () => {
    expect(planLadder(source()).audio).toEqual({
      codec: 'aac',
      bitrateKbps: 128,
      channels: 2,
      sampleRate: 48000,
    });
    const surround = source();
    if (surround.audio) surround.audio = { ...surround.audio, channels: 6, sampleRate: 44100 };
    expect(planLadder(surround).audio).toMatchObject({ channels: 2, sampleRate: 44100 });
    const mono = source();
    if (mono.audio) mono.audio = { ...mono.audio, channels: 1, sampleRate: 22050 };
    expect(planLadder(mono).audio).toMatchObject({ channels: 1, bitrateKbps: 64, sampleRate: 48000 });
    const silent = planLadder(source({}, { audio: null }));
    expect(silent.audio).toBeNull();
    expect(silent.source.audioIndex).toBeNull();
  });

  it('records where the video starts in the file', () => {
    const l = planLadder(source({ startSeconds: 0.2 }, { startSeconds: 0.05 }));
    expect(l.source.videoOffsetSeconds).toBeCloseTo(0.15, 9);
  });

  it('refuses a file without video', () => {
    expect(() => planLadder(source({}, { video: null }))).toThrow(/no video stream/);
  });
});

describe('renditionSizes', () => {
  it('accepts a source a hair under a rung (5 % tolerance) but caps it at the source', () => {
    expect(renditionSizes(1280, 704)[0]).toEqual({ name: '720p', width: 1280, height: 704 });
    expect(renditionSizes(1280, 680)[0]?.name).toBe('480p');
  });

  it('takes custom rungs in any order', () => {
    expect(renditionSizes(640, 360, [144, 360, 240]).map((s) => s.name)).toEqual(['360p', '240p', '144p']);
  });

  it('handles a square source', () => {
    expect(renditionSizes(1080, 1080).slice(0, 2)).toEqual([
      { name: '1080p', width: 1080, height: 1080 },
      { name: '720p', width: 720, height: 720 },
    ]);
  });
});

describe('outputFrameRate', () => {
  it('keeps a constant rate as is', () => {
    expect(outputFrameRate('25/1', '25/1', false)).toEqual({ num: 25, den: 1 });
    expect(outputFrameRate('24000/1001', '24000/1001', false)).toEqual({ num: 24000, den: 1001 });
  });

  it('snaps a variable rate to a standard one within 1 %, else to whole frames', () => {
    expect(outputFrameRate('5994/200', '90000/1', true)).toEqual({ num: 30000, den: 1001 });
    expect(outputFrameRate('2497/100', '30/1', true)).toEqual({ num: 25, den: 1 });
    expect(outputFrameRate('187/10', '30/1', true)).toEqual({ num: 19, den: 1 });
  });

  it('divides rates above the maximum by a whole number', () => {
    expect(outputFrameRate('120/1', '120/1', false)).toEqual({ num: 60, den: 1 });
    expect(outputFrameRate('100/1', '100/1', false)).toEqual({ num: 50, den: 1 });
    expect(outputFrameRate('60/1', '60/1', false, 30)).toEqual({ num: 30, den: 1 });
  });
});

describe('videoBitrateKbps', () => {
  it('grows with pixels to the power 0.8 and with the square root of the frame rate', () => {
    expect(videoBitrateKbps(1920, 1080, 30)).toBe(5000);
    expect(videoBitrateKbps(1280, 720, 30)).toBe(Math.round((5000 * (4 / 9) ** 0.8) / 10) * 10);
    expect(videoBitrateKbps(1920, 1080, 60)).toBe(Math.round((5000 * Math.SQRT2) / 10) * 10);
    expect(videoBitrateKbps(16, 16, 30)).toBe(50);
  });
});

describe('h264Level', () => {
  it('picks the lowest level allowing size, macroblock rate and peak bitrate', () => {
    expect(h264Level(1920, 1080, 30, 7500, 'high')).toBe('4.0');
    expect(h264Level(1080, 1920, 30, 7500, 'high')).toBe('4.0');
    expect(h264Level(1920, 1080, 60, 10610, 'high')).toBe('4.2');
    expect(h264Level(1280, 720, 30, 3920, 'high')).toBe('3.1');
    expect(h264Level(640, 360, 30, 1290, 'main')).toBe('3.0');
    expect(h264Level(426, 240, 30, 675, 'main')).toBe('2.1');
    expect(h264Level(1920, 1080, 30, 30000, 'high')).toBe('4.1');
  });
});

describe('aspectRatio', () => {
  it('reduces, and approximates with terms of at most 255', () => {
    expect(aspectRatio(1920, 1080)).toBe('16:9');
    expect(aspectRatio(1080, 1920)).toBe('9:16');
    expect(aspectRatio(640, 480)).toBe('4:3');
    const [n, d] = aspectRatio(1917, 1079).split(':').map(Number) as [number, number];
    expect(n).toBeLessThanOrEqual(255);
    expect(d).toBeLessThanOrEqual(255);
    expect(Math.abs(n / d - 1917 / 1079)).toBeLessThan(1e-4);
  });
});
