import type { AudioPlan, Ladder, Rendition } from './ladder.js';

/**
 * The encoder settings, as ffmpeg arguments, shared by the chunked encode and the single-pass
 * reference command so the two make the same renditions.
 */
export interface X264Options {
  /** x264 preset, default "veryfast" */
  preset?: string;
  /** encoder threads; default: ffmpeg decides (all cores) */
  threads?: number;
}

export const DEFAULT_PRESET = 'veryfast';

/** No subtitle or data streams, no metadata or chapters: an encode carries only its mapped stream. */
export const STRIP_EXTRAS: readonly string[] = ['-sn', '-dn', '-map_metadata', '-1', '-map_chapters', '-1'];

/**
 * x264 for one rendition with a FIXED GOP: an IDR every `gopFrames` frames and nowhere else (no
 * scene-cut keyframes, closed GOPs), forced by frame number so every rendition and every chunk puts
 * its keyframes on the same frames. Capped VBR: average bitrate with a VBV maxrate/bufsize.
 * `stream` is the output stream specifier: "v" for one video stream, "v:2" in a multi-output command.
 */
export function x264Args(
  rendition: Rendition,
  ladder: Ladder,
  opts: X264Options = {},
  stream = 'v',
): string[] {
  const o = (name: string) => `-${name}:${stream}`;
  const gop = String(ladder.gopFrames);
  return [
    o('c'),
    'libx264',
    o('preset'),
    opts.preset ?? DEFAULT_PRESET,
    o('profile'),
    rendition.profile,
    o('level'),
    rendition.level,
    o('b'),
    `${rendition.bitrateKbps}k`,
    o('maxrate'),
    `${rendition.maxrateKbps}k`,
    o('bufsize'),
    `${rendition.bufsizeKbps}k`,
    o('g'),
    gop,
    o('keyint_min'),
    gop,
    o('sc_threshold'),
    '0',
    o('force_key_frames'),
    `expr:gte(n,n_forced*${gop})`,
    o('x264-params'),
    'open-gop=0:scenecut=0',
    ...(opts.threads ? [o('threads'), String(opts.threads)] : []),
  ];
}

/**
 * The filters that make one rendition's pictures from decoded source frames: resample to the
 * constant output rate on a grid that starts at `startTime` (seconds on the decoded timeline),
 * restart timestamps at zero, scale (the scaler keeps the display aspect ratio by adjusting the
 * sample aspect ratio) and convert to 8-bit 4:2:0 (10-bit and 4:4:4 sources included).
 */
export function frameRateFilter(ladder: Ladder, startTime: number): string {
  return `fps=fps=${ladder.frameRate}:start_time=${startTime.toFixed(6)}:round=near,setpts=PTS-STARTPTS`;
}

export function scaleFilter(rendition: Rendition): string {
  return `scale=w=${rendition.width}:h=${rendition.height}:flags=bicubic,format=yuv420p`;
}

/** AAC-LC at the plan's bitrate, channels and rate. */
export function aacArgs(audio: AudioPlan, stream = 'a'): string[] {
  return [
    `-c:${stream}`,
    'aac',
    `-b:${stream}`,
    `${audio.bitrateKbps}k`,
    `-ac:${stream}`,
    String(audio.channels),
    `-ar:${stream}`,
    String(audio.sampleRate),
  ];
}

/**
 * Audio filters that put the soundtrack on the video's timeline: shift so the first video frame
 * is at zero, then pad with silence or trim at the start and fill gaps (aresample async), so the
 * audio starts exactly with the picture.
 */
export function audioTimelineFilter(ladder: Ladder): string {
  const shift = ladder.source.videoOffsetSeconds;
  const parts = shift > 0 ? [`asetpts=PTS-${shift.toFixed(6)}/TB`] : [];
  parts.push('aresample=async=1:first_pts=0');
  return parts.join(',');
}
