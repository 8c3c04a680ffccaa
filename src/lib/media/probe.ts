import { MediaError, MediaToolError } from './errors.js';
import { mediaPath, type RunOptions, runTool, sourceName } from './tools.js';

export interface VideoInfo {
  /** stream index in the source file */
  index: number;
  codec: string;
  profile: string | null;
  /** stored (coded) picture size */
  width: number;
  height: number;
  /** the picture as it is shown: after the sample aspect ratio and the rotation */
  displayWidth: number;
  displayHeight: number;
  /** clockwise rotation a player applies (display matrix / `rotate` tag) */
  rotation: 0 | 90 | 180 | 270;
  /** e.g. "1:1" */
  sampleAspectRatio: string;
  /** ffprobe's r_frame_rate, as a number and as the exact fraction ("30000/1001") */
  fps: number;
  frameRate: string;
  /** ffprobe's avg_frame_rate (frames / duration) */
  avgFps: number;
  avgFrameRate: string;
  /** timestamps are not evenly spaced (phones, screen recordings) */
  variableFrameRate: boolean;
  pixFmt: string;
  bitDepth: number;
  /** frame count from the container, when it says */
  frames: number | null;
  /** first timestamp, seconds, on the file's timeline */
  startSeconds: number;
  durationSeconds: number;
}

export interface AudioInfo {
  index: number;
  codec: string;
  channels: number;
  channelLayout: string | null;
  sampleRate: number;
  startSeconds: number;
  durationSeconds: number | null;
}

export interface SubtitleInfo {
  index: number;
  codec: string;
  /** ISO 639 code from the container, "und" when unknown */
  language: string;
  title: string | null;
  /** a text format that converts to WebVTT (mov_text, subrip, ass, webvtt…), not a bitmap */
  text: boolean;
  default: boolean;
  forced: boolean;
}

export interface MediaInfo {
  file: string;
  sizeBytes: number;
  /** ffprobe's format_name, e.g. "mov,mp4,m4a,3gp,3g2,mj2" */
  formatName: string;
  durationSeconds: number;
  /** the file's start time; ffmpeg shifts every stream by it */
  startSeconds: number;
  /** the main video stream (cover art and still images excepted), null when there is none */
  video: VideoInfo | null;
  /** the default (else first) audio stream */
  audio: AudioInfo | null;
  subtitles: SubtitleInfo[];
}

/** A source that passed {@link validateSource}: it has a video stream. */
export type SourceInfo = MediaInfo & { video: VideoInfo };

const TEXT_SUBTITLE_CODECS = new Set([
  'mov_text',
  'subrip',
  'srt',
  'ass',
  'ssa',
  'webvtt',
  'text',
  'sami',
  'microdvd',
  'mpl2',
  'jacosub',
  'realtext',
  'subviewer',
  'subviewer1',
  'vplayer',
  'pjs',
  'stl',
]);

/**
 * Read a file's streams with ffprobe (one run: format, streams and the first seconds of video
 * packets, which tell a variable frame rate apart). Throws {@link MediaToolError} when ffprobe
 * cannot read the file; {@link validateSource} turns that into a user-facing {@link MediaError}.
 */
export async function probeMedia(file: string, opts: RunOptions = {}): Promise<MediaInfo> {
  const { stdout } = await runTool(
    'ffprobe',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-print_format',
      'json',
      '-show_format',
      '-show_streams',
      '-show_entries',
      'packet=stream_index,pts',
      '-read_intervals',
      '%+5',
      mediaPath(file),
    ],
    `probing ${sourceName(file)}`,
    opts,
  );
  return parseProbe(file, JSON.parse(stdout) as FfprobeOutput);
}

interface FfprobeStream {
  index: number;
  codec_name?: string;
  codec_type?: string;
  profile?: string;
  width?: number;
  height?: number;
  sample_aspect_ratio?: string;
  pix_fmt?: string;
  bits_per_raw_sample?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  time_base?: string;
  start_time?: string;
  duration?: string;
  nb_frames?: string;
  channels?: number;
  channel_layout?: string;
  sample_rate?: string;
  disposition?: Record<string, number>;
  tags?: Record<string, string>;
  side_data_list?: Array<{ side_data_type?: string; rotation?: number }>;
}

export interface FfprobeOutput {
  streams?: FfprobeStream[];
  format?: { format_name?: string; duration?: string; start_time?: string; size?: string };
  packets?: Array<{ stream_index: number; pts?: number }>;
}

/** Turn ffprobe's JSON into a {@link MediaInfo}. Pure; exported for tests. */
export function parseProbe(file: string, out: FfprobeOutput): MediaInfo {
  const streams = out.streams ?? [];
  const format = out.format ?? {};
  const formatDuration = num(format.duration);
  const startSeconds = num(format.start_time) ?? 0;

  const videoStream = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const audioStreams = streams.filter((s) => s.codec_type === 'audio');
  const audioStream = audioStreams.find((s) => s.disposition?.default) ?? audioStreams[0];

  let video: VideoInfo | null = null;
  if (videoStream) {
    const pts = (out.packets ?? [])
      .filter((p) => p.stream_index === videoStream.index && typeof p.pts === 'number')
      .map((p) => p.pts as number);
    video = parseVideo(videoStream, formatDuration, startSeconds, pts);
  }

  let audio: AudioInfo | null = null;
  if (audioStream) {
    audio = {
      index: audioStream.index,
      codec: audioStream.codec_name ?? 'unknown',
      channels: audioStream.channels ?? 0,
      channelLayout: audioStream.channel_layout ?? null,
      sampleRate: num(audioStream.sample_rate) ?? 0,
      startSeconds: num(audioStream.start_time) ?? startSeconds,
      durationSeconds: streamDuration(audioStream) ?? formatDuration ?? null,
    };
  }

  const subtitles: SubtitleInfo[] = streams
    .filter((s) => s.codec_type === 'subtitle')
    .map((s) => ({
      index: s.index,
      codec: s.codec_name ?? 'unknown',
      language: s.tags?.language ?? 'und',
      title: s.tags?.title ?? null,
      text: TEXT_SUBTITLE_CODECS.has(s.codec_name ?? ''),
      default: Boolean(s.disposition?.default),
      forced: Boolean(s.disposition?.forced),
    }));

  return {
    file,
    sizeBytes: num(format.size) ?? 0,
    formatName: format.format_name ?? 'unknown',
    durationSeconds: formatDuration ?? video?.durationSeconds ?? audio?.durationSeconds ?? 0,
    startSeconds,
    video,
    audio,
    subtitles,
  };
}

function parseVideo(
  s: FfprobeStream,
  formatDuration: number | undefined,
  formatStart: number,
  packetPts: number[],
): VideoInfo {
  const width = s.width ?? 0;
  const height = s.height ?? 0;
  const sar = parseRatio(s.sample_aspect_ratio, ':');
  const sarValue = sar && sar.num > 0 && sar.den > 0 ? sar.num / sar.den : 1;
  const rotation = parseRotation(s);
  let displayWidth = Math.max(1, Math.round(width * sarValue));
  let displayHeight = height;
  if (rotation === 90 || rotation === 270) [displayWidth, displayHeight] = [displayHeight, displayWidth];

  const r = parseRatio(s.r_frame_rate, '/');
  const avg = parseRatio(s.avg_frame_rate, '/');
  const fps = r && r.den > 0 ? r.num / r.den : 0;
  const avgFps = avg && avg.den > 0 ? avg.num / avg.den : fps;
  const tb = parseRatio(s.time_base, '/');
  const tick = tb && tb.den > 0 ? tb.num / tb.den : 0;

  return {
    index: s.index,
    codec: s.codec_name ?? 'unknown',
    profile: s.profile ?? null,
    width,
    height,
    displayWidth,
    displayHeight,
    rotation,
    sampleAspectRatio: sar && sar.num > 0 ? `${sar.num}:${sar.den}` : '1:1',
    fps,
    frameRate: r ? `${r.num}/${r.den}` : '0/1',
    avgFps,
    avgFrameRate: avg && avg.den > 0 ? `${avg.num}/${avg.den}` : r ? `${r.num}/${r.den}` : '0/1',
    variableFrameRate: isVariableFrameRate(fps, avgFps, packetPts, tick),
    pixFmt: s.pix_fmt ?? 'unknown',
    bitDepth: bitDepth(s.pix_fmt, s.bits_per_raw_sample),
    frames: num(s.nb_frames) ?? null,
    startSeconds: num(s.start_time) ?? formatStart,
    durationSeconds: streamDuration(s) ?? formatDuration ?? Number.NaN,
  };
}

/**
 * Variable frame rate when the nominal and average rates disagree by more than 1 %, or when the
 * gaps between the first packets' timestamps differ by more than 1 % of a frame (and more than the
 * rounding of the time base: a 29.97 fps MKV in milliseconds alternates 33 and 34).
 */
export function isVariableFrameRate(fps: number, avgFps: number, pts: number[], tick: number): boolean {
  if (fps > 0 && avgFps > 0 && Math.abs(fps - avgFps) / fps > 0.01) return true;
  if (pts.length < 4 || tick <= 0) return false;
  const sorted = [...pts].sort((a, b) => a - b);
  const gaps = sorted.slice(1).map((p, i) => p - (sorted[i] as number));
  const median = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)] as number;
  const allowed = Math.max(1.5, median * 0.01);
  return gaps.some((g) => Math.abs(g - median) > allowed);
}

export function bitDepth(pixFmt: string | undefined, bitsPerRawSample: string | undefined): number {
  const raw = Number(bitsPerRawSample);
  if (Number.isInteger(raw) && raw > 0) return raw;
  const m = /(\d+)(le|be)$/.exec(pixFmt ?? '');
  const bits = m ? Number(m[1]) : 8;
  return bits >= 9 && bits <= 16 ? bits : 8;
}

function parseRotation(s: FfprobeStream): 0 | 90 | 180 | 270 {
  const fromMatrix = s.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation;
  const deg = fromMatrix ?? num(s.tags?.rotate) ?? 0;
  const normalized = (((Math.round(deg / 90) * 90) % 360) + 360) % 360;
  return normalized as 0 | 90 | 180 | 270;
}

function streamDuration(s: FfprobeStream): number | undefined {
  const d = num(s.duration);
  if (d !== undefined) return d;
  // Matroska keeps per-stream durations in a tag: "00:00:06.006000000"
  const tag = s.tags?.DURATION ?? s.tags?.duration;
  const m = tag ? /^(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(tag) : null;
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : undefined;
}

function parseRatio(text: string | undefined, sep: string): { num: number; den: number } | null {
  if (!text) return null;
  const [a, b] = text.split(sep);
  const n = Number(a);
  const d = Number(b ?? 1);
  return Number.isFinite(n) && Number.isFinite(d) ? { num: n, den: d } : null;
}

function num(text: string | number | undefined): number | undefined {
  if (text === undefined || text === 'N/A' || text === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}
