import type { MediaInfo } from './probe.js';

/**
 * The encoding ladder of one title: which renditions to make and with which settings shared by
 * every chunk (frame rate, GOP, segment length).
 *
 * Decisions:
 * - Rungs are named by the picture's SHORT side, so a vertical 1080×1920 source gets "1080p" =
 *   1080×1920 and "720p" = 720×1280: the same pixels and bitrate as its landscape twin.
 * - A rung is made when the source's short side reaches it (5 % tolerance, so a 1917×1079 export
 *   still gets "1080p"). A rung is never larger than the source: its short side is capped at the
 *   source's. A source below the smallest rung gets one rendition at its own size.
 * - Sizes keep the source's display shape (after rotation and pixel aspect) rounded to even numbers
 *   (4:2:0 chroma needs them); the tiny remaining shape error is absorbed by the sample aspect ratio
 *   so every rendition shows exactly the source's display aspect ratio. 16:9 at 480 lines is
 *   853⅓ pixels wide and at 240 lines 426⅔: no even width is exact, so 854×480 carries SAR
 *   1280:1281 and 426×240 SAR 640:639 (a 0.1 % correction) rather than a picture 0.08 % too wide
 *   or a rung of another height than viewers expect. 1080, 720 and 360 lines are exact at 1:1.
 * - Bitrate grows with pixels^0.8 (small pictures need more bits per pixel) and with sqrt(fps / 30),
 *   from a reference of 5000 kbit/s for 1920×1080 at 30 fps; VBV maxrate = 1.5×, bufsize = 3×.
 * - Output frame rate: a constant-rate source keeps its rate; a variable-rate source gets its average
 *   rate snapped to a standard rate within 1 % (else rounded to whole frames per second); above
 *   `maxFps` the rate is divided by a whole number (120 → 60).
 * - One GOP per segment: gopFrames = round(segmentSeconds × fps) and the real segment length is
 *   gopFrames / fps (4.004 s at 29.97 fps), so segment boundaries are whole frames.
 */
export interface Rendition {
  /** "1080p", "720p"…: the rung, by the short side */
  name: string;
  width: number;
  height: number;
  bitrateKbps: number;
  maxrateKbps: number;
  bufsizeKbps: number;
  /** H.264 profile */
  profile: 'high' | 'main';
  /** H.264 level, e.g. "4.0" */
  level: string;
}

export interface AudioPlan {
  codec: 'aac';
  bitrateKbps: number;
  /** 1 or 2 for the main track (more source channels are downmixed to stereo); 6 for surround */
  channels: number;
  sampleRate: number;
}

export interface Ladder {
  /** largest first */
  video: Rendition[];
  /** null for a silent title */
  audio: AudioPlan | null;
  /**
   * A 5.1 track beside the stereo one, for a source of six or more channels (7.1 is folded to
   * 5.1); absent otherwise. AAC-LC 6-channel rather than E-AC-3: every MSE browser decodes it
   * (Chromium has no E-AC-3 decoder), and one codec family keeps one HLS variant group.
   */
  surround?: AudioPlan | null;
  /** output frame rate (constant), as a number and as an exact fraction for ffmpeg ("30000/1001") */
  fps: number;
  frameRate: string;
  /** frames per GOP = frames per segment; every GOP starts with an IDR frame */
  gopFrames: number;
  /** exact segment length, gopFrames / fps */
  segmentSeconds: number;
  /** output video length and its frame count */
  durationSeconds: number;
  totalFrames: number;
  /** the display aspect ratio every rendition shows, "16:9" (terms ≤ 255, as ffmpeg's -aspect wants) */
  displayAspectRatio: string;
  /**
   * The source streams to read (stream indexes) and where the video starts, seconds after the
   * start of the file (ffmpeg's decoded timeline counts from the earliest stream).
   */
  source: { videoIndex: number; audioIndex: number | null; videoOffsetSeconds: number };
}

export interface LadderOptions {
  /** rungs by short side, default 1080/720/480/360/240 */
  rungs?: readonly number[];
  /** target segment length, default 4 s */
  segmentSeconds?: number;
  /** kbit/s for 1920×1080 at 30 fps, default 5000 */
  referenceKbps?: number;
  /** AAC bitrate for stereo (mono gets half), default 128 */
  audioKbps?: number;
  /** AAC bitrate for the 5.1 track, default 384 (64 per channel) */
  surroundKbps?: number;
  /** highest output frame rate, default 60 */
  maxFps?: number;
}

export const DEFAULT_RUNGS: readonly number[] = [1080, 720, 480, 360, 240];
export const DEFAULT_SEGMENT_SECONDS = 4;
const REFERENCE_PIXELS = 1920 * 1080;
const RUNG_TOLERANCE = 0.05;

/** Plan the renditions, audio and GOP of a source (validate it first). Pure. */
export function planLadder(info: MediaInfo, opts: LadderOptions = {}): Ladder {
  const v = info.video;
  if (!v) throw new Error(`planLadder: ${info.file} has no video stream (run validateSource first)`);
  const rate = outputFrameRate(v.avgFrameRate, v.frameRate, v.variableFrameRate, opts.maxFps ?? 60);
  const fps = rate.num / rate.den;
  const gopFrames = Math.max(1, Math.round((opts.segmentSeconds ?? DEFAULT_SEGMENT_SECONDS) * fps));
  const sizes = renditionSizes(v.displayWidth, v.displayHeight, opts.rungs ?? DEFAULT_RUNGS);
  const video = sizes.map(({ name, width, height }): Rendition => {
    const bitrateKbps = videoBitrateKbps(width, height, fps, opts.referenceKbps ?? 5000);
    const maxrateKbps = Math.round(bitrateKbps * 1.5);
    const profile = Math.min(width, height) <= 360 ? 'main' : 'high';
    return {
      name,
      width,
      height,
      bitrateKbps,
      maxrateKbps,
      bufsizeKbps: bitrateKbps * 3,
      profile,
      level: h264Level(width, height, fps, maxrateKbps, profile),
    };
  });
  const totalFrames = Math.max(1, Math.round(v.durationSeconds * fps));
  const audio = info.audio
    ? planAudio(info.audio.channels, info.audio.sampleRate, opts.audioKbps ?? 128)
    : null;
  const surround =
    info.audio && info.audio.channels >= 6
      ? { ...(audio as AudioPlan), channels: 6, bitrateKbps: opts.surroundKbps ?? 384 }
      : null;
  return {
    video,
    audio,
    surround,
    fps,
    frameRate: `${rate.num}/${rate.den}`,
    gopFrames,
    segmentSeconds: (gopFrames * rate.den) / rate.num,
    durationSeconds: (totalFrames * rate.den) / rate.num,
    totalFrames,
    displayAspectRatio: aspectRatio(v.displayWidth, v.displayHeight),
    source: {
      videoIndex: v.index,
      audioIndex: info.audio?.index ?? null,
      videoOffsetSeconds: Math.max(0, v.startSeconds - info.startSeconds),
    },
  };
}

/** Rendition sizes for a display size: even, never larger than the source, by the short side. */
export function renditionSizes(
  displayWidth: number,
  displayHeight: number,
  rungs: readonly number[] = DEFAULT_RUNGS,
): Array<{ name: string; width: number; height: number }> {
  const short = Math.min(displayWidth, displayHeight);
  const long = Math.max(displayWidth, displayHeight);
  const portrait = displayHeight > displayWidth;
  // even sizes, but never rounded up past the source (a 1079-pixel side gives 1078, not 1080)
  const size = (shortSide: number) => {
    const s = Math.min(even(shortSide), evenFloor(short));
    const l = Math.min(even((long * s) / short), evenFloor(long));
    return portrait ? { width: s, height: l } : { width: l, height: s };
  };
  const sorted = [...new Set(rungs)].sort((a, b) => b - a);
  const chosen = sorted
    .filter((rung) => short >= rung * (1 - RUNG_TOLERANCE))
    .map((rung) => ({ name: `${rung}p`, ...size(Math.min(rung, short)) }));
  if (chosen.length > 0) return chosen;
  const own = size(short);
  return [{ name: `${Math.min(own.width, own.height)}p`, ...own }];
}

/** kbit/s for a picture: reference × (pixels / 1080p)^0.8 × sqrt(fps / 30), ≥ 50, to 10 kbit/s. */
export function videoBitrateKbps(width: number, height: number, fps: number, referenceKbps = 5000): number {
  const pixels = (width * height) / REFERENCE_PIXELS;
  const motion = Math.min(1.5, Math.max(0.5, Math.sqrt(fps / 30)));
  return Math.max(50, Math.round((referenceKbps * pixels ** 0.8 * motion) / 10) * 10);
}

function planAudio(sourceChannels: number, sourceRate: number, stereoKbps: number): AudioPlan {
  const channels = sourceChannels >= 2 ? 2 : 1;
  return {
    codec: 'aac',
    bitrateKbps: channels === 2 ? stereoKbps : Math.round(stereoKbps / 2),
    channels,
    sampleRate: sourceRate === 44100 ? 44100 : 48000,
  };
}

const STANDARD_RATES: ReadonlyArray<[number, number]> = [
  [24000, 1001],
  [24, 1],
  [25, 1],
  [30000, 1001],
  [30, 1],
  [48, 1],
  [50, 1],
  [60000, 1001],
  [60, 1],
];

/**
 * The constant output rate as a reduced fraction. `avgFrameRate`/`frameRate` are ffprobe's
 * avg_frame_rate and r_frame_rate ("30000/1001").
 */
export function outputFrameRate(
  avgFrameRate: string,
  frameRate: string,
  variable: boolean,
  maxFps = 60,
): { num: number; den: number } {
  const r = fraction(frameRate);
  const avg = fraction(avgFrameRate);
  let rate: { num: number; den: number };
  if (!variable && r && r.num / r.den <= 240) {
    rate = r;
  } else {
    const value = avg ? avg.num / avg.den : r ? r.num / r.den : 30;
    const standard = STANDARD_RATES.find(([n, d]) => Math.abs(n / d - value) / value <= 0.01);
    rate = standard
      ? { num: standard[0], den: standard[1] }
      : { num: Math.max(1, Math.round(value)), den: 1 };
  }
  const k = Math.ceil(rate.num / rate.den / maxFps - 1e-9);
  return k > 1 ? reduce(rate.num, rate.den * k) : rate;
}

function fraction(text: string): { num: number; den: number } | null {
  const [a, b] = text.split('/');
  const num = Number(a);
  const den = Number(b ?? 1);
  if (!Number.isInteger(num) || !Number.isInteger(den) || num <= 0 || den <= 0) return null;
  return reduce(num, den);
}

function reduce(num: number, den: number): { num: number; den: number } {
  const g = gcd(num, den);
  return { num: num / g, den: den / g };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** The closest fraction to width/height whose terms are ≤ `max` ("16:9", "959:540" → "16:9"). */
export function aspectRatio(width: number, height: number, max = 255): string {
  const exact = reduce(width, height);
  if (exact.num <= max && exact.den <= max) return `${exact.num}:${exact.den}`;
  // best rational approximation by continued fractions, bounded by max
  const x = width / height;
  let [h0, h1, k0, k1] = [0, 1, 1, 0];
  let rest = x;
  let best = { num: Math.max(1, Math.round(x)), den: 1 };
  for (let i = 0; i < 32; i++) {
    const a = Math.floor(rest);
    const [h2, k2] = [a * h1 + h0, a * k1 + k0];
    if (h2 > max || k2 > max) break;
    best = { num: h2, den: k2 };
    [h0, h1, k0, k1] = [h1, h2, k1, k2];
    if (rest - a < 1e-12) break;
    rest = 1 / (rest - a);
  }
  return `${best.num}:${best.den}`;
}

// H.264 Annex A: level → max macroblocks/s, max frame size (macroblocks), max bitrate (kbit/s, Main)
const LEVELS: ReadonlyArray<[string, number, number, number]> = [
  ['1.0', 1485, 99, 64],
  ['1.1', 3000, 396, 192],
  ['1.2', 6000, 396, 384],
  ['1.3', 11880, 396, 768],
  ['2.0', 11880, 396, 2000],
  ['2.1', 19800, 792, 4000],
  ['2.2', 20250, 1620, 4000],
  ['3.0', 40500, 1620, 10000],
  ['3.1', 108000, 3600, 14000],
  ['3.2', 216000, 5120, 20000],
  ['4.0', 245760, 8192, 20000],
  ['4.1', 245760, 8192, 50000],
  ['4.2', 522240, 8704, 50000],
  ['5.0', 589824, 22080, 135000],
  ['5.1', 983040, 36864, 240000],
  ['5.2', 2073600, 36864, 240000],
  ['6.0', 4177920, 139264, 240000],
  ['6.1', 8355840, 139264, 480000],
  ['6.2', 16711680, 139264, 800000],
];

/** The lowest H.264 level that allows this size, rate and peak bitrate. */
export function h264Level(
  width: number,
  height: number,
  fps: number,
  maxrateKbps: number,
  profile: 'high' | 'main',
): string {
  const mbW = Math.ceil(width / 16);
  const mbH = Math.ceil(height / 16);
  const frameSize = mbW * mbH;
  const mbPerSecond = frameSize * fps;
  const brFactor = profile === 'high' ? 1.25 : 1;
  const found = LEVELS.find(
    ([, maxMbps, maxFs, maxBr]) =>
      frameSize <= maxFs &&
      mbW <= Math.sqrt(maxFs * 8) &&
      mbH <= Math.sqrt(maxFs * 8) &&
      mbPerSecond <= maxMbps &&
      maxrateKbps <= maxBr * brFactor,
  );
  return (found ?? LEVELS[LEVELS.length - 1])?.[0] as string;
}

/** Round to the nearest even number, at least 2. */
export function even(x: number): number {
  return Math.max(2, 2 * Math.round(x / 2));
}

/** Round down to an even number, at least 2. */
export function evenFloor(x: number): number {
  return Math.max(2, 2 * Math.floor(x / 2));
}
