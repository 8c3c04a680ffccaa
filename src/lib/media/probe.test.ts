import { describe, expect, it } from 'vitest';
import { bitDepth, type FfprobeOutput, isVariableFrameRate, type MediaInfo, parseProbe } from './probe.js';
import { sniffBytes, sourceProblem } from './source-check.js';

const videoStream = {
  index: 0,
  codec_name: 'h264',
  codec_type: 'video',
  profile: 'High',
  width: 1920,
  height: 1080,
  sample_aspect_ratio: '1:1',
  pix_fmt: 'yuv420p',
  bits_per_raw_sample: '8',
  r_frame_rate: '30/1',
  avg_frame_rate: '30/1',
  time_base: '1/15360',
  start_time: '0.000000',
  duration: '6.000000',
  nb_frames: '180',
  disposition: { default: 1, attached_pic: 0 },
};
const audioStream = {
  index: 1,
  codec_name: 'aac',
  codec_type: 'audio',
  channels: 2,
  channel_layout: 'stereo',
  sample_rate: '48000',
  start_time: '0.000000',
  duration: '6.016000',
  disposition: { default: 1 },
};
const format = {
  format_name: 'mov,mp4,m4a,3gp,3g2,mj2',
  duration: '6.016000',
  start_time: '0.000000',
  size: '12345',
};
const cfrPackets = Array.from({ length: 30 }, (_, i) => ({ stream_index: 0, pts: i * 512 }));

function probe(over: Partial<FfprobeOutput> = {}): MediaInfo {
  return parseProbe('/in/My clip.mp4', {
    streams: [videoStream, audioStream],
    format,
    packets: cfrPackets,
    ...over,
  });
}

describe('parseProbe', () => {
  it('reads format, video, audio and subtitles', () => {
    const info = probe({
      streams: [
        videoStream,
        audioStream,
        {
          index: 2,
          codec_name: 'mov_text',
          codec_type: 'subtitle',
          tags: { language: 'fra', title: 'Français' },
        },
        { index: 3, codec_name: 'hdmv_pgs_subtitle', codec_type: 'subtitle' },
      ],
    });
    expect(info).toMatchObject({ sizeBytes: 12345, durationSeconds: 6.016, formatName: format.format_name });
    expect(info.video).toMatchObject({
      codec: 'h264',
      width: 1920,
      height: 1080,
      displayWidth: 1920,
      displayHeight: 1080,
      fps: 30,
      avgFps: 30,
      frameRate: '30/1',
      variableFrameRate: false,
      bitDepth: 8,
      frames: 180,
      durationSeconds: 6,
    });
    expect(info.audio).toMatchObject({ codec: 'aac', channels: 2, sampleRate: 48000 });
    expect(info.subtitles).toEqual([
      {
        index: 2,
        codec: 'mov_text',
        language: 'fra',
        title: 'Français',
        text: true,
        default: false,
        forced: false,
      },
      {
        index: 3,
        codec: 'hdmv_pgs_subtitle',
        language: 'und',
        title: null,
        text: false,
        default: false,
        forced: false,
      },
    ]);
  });

  it('swaps display dimensions for a 90° display matrix (phones)', () => {
    const info = probe({
      streams: [{ ...videoStream, side_data_list: [{ side_data_type: 'Display Matrix', rotation: -90 }] }],
    });
    expect(info.video).toMatchObject({
      width: 1920,
      height: 1080,
      displayWidth: 1080,
      displayHeight: 1920,
      rotation: 270,
    });
    const tagged = probe({ streams: [{ ...videoStream, tags: { rotate: '180' } }] });
    expect(tagged.video).toMatchObject({ displayWidth: 1920, rotation: 180 });
  });

  it('applies the sample aspect ratio (anamorphic 720×576 16:9)', () => {
    const info = probe({
      streams: [{ ...videoStream, width: 720, height: 576, sample_aspect_ratio: '64:45' }],
    });
    expect(info.video).toMatchObject({ displayWidth: 1024, displayHeight: 576 });
  });

  it('ignores cover art: an M4A with a picture is audio only', () => {
    const info = probe({
      streams: [{ ...videoStream, codec_name: 'mjpeg', disposition: { attached_pic: 1 } }, audioStream],
    });
    expect(info.video).toBeNull();
    expect(sourceProblem(info)?.reason).toBe('audio-only');
  });

  it('takes the default audio stream', () => {
    const info = probe({
      streams: [videoStream, audioStream, { ...audioStream, index: 2, disposition: { default: 0 } }],
    });
    expect(info.audio?.index).toBe(1);
    const second = probe({
      streams: [videoStream, { ...audioStream, disposition: { default: 0 } }, { ...audioStream, index: 2 }],
    });
    expect(second.audio?.index).toBe(2);
  });

  it('reads a Matroska duration tag when the stream has no duration', () => {
    const { duration: _, ...noDuration } = videoStream;
    const info = probe({ streams: [{ ...noDuration, tags: { DURATION: '00:01:02.500000000' } }] });
    expect(info.video?.durationSeconds).toBe(62.5);
  });

  it('flags a variable frame rate from r_frame_rate vs avg_frame_rate', () => {
    const info = probe({ streams: [{ ...videoStream, avg_frame_rate: '21/1' }] });
    expect(info.video?.variableFrameRate).toBe(true);
  });
});

describe('isVariableFrameRate', () => {
  const tick = 1 / 90000;
  it('is false for evenly spaced timestamps, in any order (B-frames)', () => {
    expect(isVariableFrameRate(30, 30, [0, 6000, 3000, 9000, 12000, 15000], tick)).toBe(false);
  });
  it('tolerates time-base rounding: 29.97 fps in milliseconds alternates 33 and 34', () => {
    expect(isVariableFrameRate(29.97, 29.97, [0, 33, 67, 100, 133, 167, 200, 234], 1 / 1000)).toBe(false);
  });
  it('is true for jittery phone timestamps even when the rates agree', () => {
    expect(isVariableFrameRate(30, 29.9, [0, 3000, 6100, 9000, 11950, 15000], tick)).toBe(true);
  });
  it('is true when a gap appears', () => {
    expect(isVariableFrameRate(30, 30, [0, 3000, 6000, 18000, 21000], tick)).toBe(true);
  });
});

describe('bitDepth', () => {
  it('reads bits_per_raw_sample, else the pixel format', () => {
    expect(bitDepth('yuv420p10le', '10')).toBe(10);
    expect(bitDepth('yuv420p10le', undefined)).toBe(10);
    expect(bitDepth('p010le', undefined)).toBe(10);
    expect(bitDepth('yuv422p12be', undefined)).toBe(12);
    expect(bitDepth('yuv420p', undefined)).toBe(8);
    expect(bitDepth('yuvj420p', undefined)).toBe(8);
  });
});

describe('sourceProblem', () => {
  it('accepts a normal video', () => {
    expect(sourceProblem(probe())).toBeNull();
  });

  it('accepts a video without audio (a silent title)', () => {
    expect(sourceProblem(probe({ streams: [videoStream] }))).toBeNull();
  });

  it('accepts odd sizes, 10-bit and variable frame rate', () => {
    const odd = {
      ...videoStream,
      width: 1917,
      height: 1079,
      pix_fmt: 'yuv444p10le',
      bits_per_raw_sample: '10',
    };
    expect(sourceProblem(probe({ streams: [{ ...odd, avg_frame_rate: '21/1' }] }))).toBeNull();
  });

  it('refuses audio only, saying to upload the video', () => {
    const e = sourceProblem(probe({ streams: [audioStream] }));
    expect(e?.reason).toBe('audio-only');
    expect(e?.message).toMatch(/"My clip.mp4" has sound but no picture.*Upload the video file/);
  });

  it('refuses a file with no streams as not a video', () => {
    expect(sourceProblem(probe({ streams: [] }))?.reason).toBe('not-video');
  });

  it('refuses a still image', () => {
    const png = probe({
      streams: [{ ...videoStream, codec_name: 'png', nb_frames: undefined, duration: undefined }],
      format: { format_name: 'png_pipe' },
    });
    expect(sourceProblem(png)?.reason).toBe('not-video');
    const oneFrame = probe({ streams: [{ ...videoStream, nb_frames: '1' }] });
    expect(sourceProblem(oneFrame)?.message).toMatch(/still image/);
  });

  it('refuses a clip shorter than a second, saying how long it is', () => {
    const e = sourceProblem(
      probe({ streams: [{ ...videoStream, duration: '0.500000' }], format: { ...format, duration: '0.5' } }),
    );
    expect(e?.reason).toBe('too-short');
    expect(e?.message).toMatch(/0\.50 s long; titles must last at least 1 s/);
    expect(sourceProblem(probe({ streams: [{ ...videoStream, duration: '1.000000' }] }))).toBeNull();
  });

  it('refuses an unknown duration as too short', () => {
    const { duration: _, ...noDuration } = videoStream;
    expect(sourceProblem(probe({ streams: [noDuration], format: { format_name: 'x' } }))?.reason).toBe(
      'too-short',
    );
  });

  it('refuses pictures beyond 8192 pixels and codecs ffmpeg cannot decode', () => {
    expect(sourceProblem(probe({ streams: [{ ...videoStream, width: 10000 }] }))?.reason).toBe('unsupported');
    expect(sourceProblem(probe({ streams: [{ ...videoStream, codec_name: undefined }] }))?.reason).toBe(
      'unsupported',
    );
  });
});

describe('sniffBytes', () => {
  const bytes = (...parts: Array<string | number[]>) =>
    Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

  it('recognises video containers by their first bytes', () => {
    expect(sniffBytes(bytes([0, 0, 0, 0x1c], 'ftypisom', [0, 0, 2, 0]))).toMatch(/MP4/);
    expect(sniffBytes(bytes([0, 0, 0, 8], 'mdat'))).toMatch(/MP4/);
    expect(sniffBytes(bytes([0x1a, 0x45, 0xdf, 0xa3, 0x01]))).toMatch(/Matroska/);
    expect(sniffBytes(bytes('RIFF', [1, 2, 3, 4], 'AVI LIST'))).toMatch(/AVI/);
    const ts = Buffer.alloc(400);
    ts[0] = 0x47;
    ts[188] = 0x47;
    ts[376] = 0x47;
    expect(sniffBytes(ts)).toMatch(/transport stream/);
  });

  it('does not call text, images or audio-only M4A a video container', () => {
    expect(sniffBytes(Buffer.from('This is not a video.\n'))).toBeNull();
    expect(sniffBytes(bytes([0x89], 'PNG\r\n', [0x1a, 0x0a]))).toBeNull();
    expect(sniffBytes(bytes([0, 0, 0, 0x1c], 'ftypM4A ', [0, 0, 2, 0]))).toBeNull();
    expect(sniffBytes(Buffer.alloc(0))).toBeNull();
  });
});
