/**
 * HLS as flix packages it (CMAF): a master playlist with one EXT-X-STREAM-INF per video rendition
 * (BANDWIDTH = peak, AVERAGE-BANDWIDTH = average, both including the audio), an EXT-X-MEDIA audio
 * group, and media playlists with an EXT-X-MAP init segment and .m4s segments with EXTINF. Pure
 * parsers, plus `loadHls` that fetches the media playlists through a function passed in.
 */
import { FlixError } from '../../core/errors.js';
import { type PackagedSubtitle, type PackagedTrack, type PackageModel, videoUnder } from './package-model.js';
import { type Presentation, sortLadder, type Track, timeline, trackName } from './presentation.js';

/** One EXT-X-STREAM-INF entry. */
export interface HlsVariant {
  uri: string;
  bandwidth: number;
  averageBandwidth?: number;
  width?: number;
  height?: number;
  codecs?: string;
  audioGroup?: string;
}

/** One EXT-X-MEDIA entry. */
export interface HlsMedia {
  type: string;
  groupId: string;
  name: string;
  uri?: string;
  default: boolean;
  language?: string;
}

export interface HlsMaster {
  variants: HlsVariant[];
  media: HlsMedia[];
}

export interface HlsMediaPlaylist {
  init: string | null;
  segments: Array<{ uri: string; durationSeconds: number }>;
  /** EXT-X-ENDLIST was there (a VOD title, complete). */
  ended: boolean;
}

/** Attribute list of an HLS tag: `A=1,B="x,y"` → {A:'1', B:'x,y'}. */
export function parseAttributes(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([A-Z0-9-]+)=("[^"]*"|[^,]*)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const [, key = '', raw = ''] = m;
    out[key] = raw.startsWith('"') ? raw.slice(1, -1) : raw;
  }
  return out;
}

function notHls(what: string, problem: string): never {
  throw new FlixError(`the ${what} is not a usable HLS playlist: ${problem}`, {
    code: 'invalidInput',
    nextStep: 'check the title with `flix titles show <title>`; re-ingest it if its manifests are broken',
  });
}

const lines = (text: string) =>
  text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);

/** Parses a master playlist. Throws a FlixError if it is not one (no #EXTM3U, no variants). */
export function parseHlsMaster(text: string): HlsMaster {
  const all = lines(text);
  if (all[0] !== '#EXTM3U') notHls('master playlist', 'it does not start with #EXTM3U');
  const variants: HlsVariant[] = [];
  const media: HlsMedia[] = [];
  for (let i = 0; i < all.length; i++) {
    const line = all[i] as string;
    if (line.startsWith('#EXT-X-MEDIA:')) {
      const a = parseAttributes(line.slice('#EXT-X-MEDIA:'.length));
      media.push({
        type: a.TYPE ?? '',
        groupId: a['GROUP-ID'] ?? '',
        name: a.NAME ?? '',
        uri: a.URI,
        default: a.DEFAULT === 'YES',
        language: a.LANGUAGE,
      });
    } else if (line.startsWith('#EXT-X-STREAM-INF:')) {
      const a = parseAttributes(line.slice('#EXT-X-STREAM-INF:'.length));
      const uri = all.slice(i + 1).find((l) => !l.startsWith('#'));
      if (!uri) notHls('master playlist', `EXT-X-STREAM-INF on line ${i + 1} has no URI after it`);
      const bandwidth = Number(a.BANDWIDTH);
      if (!(bandwidth > 0)) notHls('master playlist', `variant ${uri} has no BANDWIDTH`);
      const [w, h] = (a.RESOLUTION ?? '').split('x').map(Number);
      variants.push({
        uri,
        bandwidth,
        averageBandwidth: a['AVERAGE-BANDWIDTH'] ? Number(a['AVERAGE-BANDWIDTH']) : undefined,
        width: w || undefined,
        height: h || undefined,
        codecs: a.CODECS,
        audioGroup: a.AUDIO,
      });
    }
  }
  if (variants.length === 0) {
    notHls(
      'master playlist',
      all.some((l) => l.startsWith('#EXTINF')) ? 'it is a media playlist' : 'no variants',
    );
  }
  return { variants, media };
}

/** Parses a media playlist: the EXT-X-MAP init segment and the segments with their EXTINF. */
export function parseHlsMediaPlaylist(text: string): HlsMediaPlaylist {
  const all = lines(text);
  if (all[0] !== '#EXTM3U') notHls('media playlist', 'it does not start with #EXTM3U');
  let init: string | null = null;
  let duration: number | null = null;
  const segments: HlsMediaPlaylist['segments'] = [];
  for (const line of all) {
    if (line.startsWith('#EXT-X-MAP:')) init = parseAttributes(line.slice('#EXT-X-MAP:'.length)).URI ?? null;
    else if (line.startsWith('#EXTINF:')) duration = Number.parseFloat(line.slice('#EXTINF:'.length));
    else if (line.startsWith('#EXT-X-STREAM-INF')) notHls('media playlist', 'it is a master playlist');
    else if (!line.startsWith('#')) {
      if (duration === null || !(duration >= 0)) notHls('media playlist', `segment ${line} has no EXTINF`);
      segments.push({ uri: line, durationSeconds: duration });
      duration = null;
    }
  }
  if (segments.length === 0) notHls('media playlist', 'it has no segments');
  return { init, segments, ended: all.includes('#EXT-X-ENDLIST') };
}

/** A reference inside a playlist made relative to the manifest (`a/b.m3u8` + `c.m4s` → `a/c.m4s`). */
export function resolveRef(parent: string, ref: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(ref)) return ref;
  const base = 'http://manifest.invalid/m/';
  const url = new URL(ref, new URL(parent, base));
  return url.href.startsWith(base) ? url.href.slice(base.length) : url.href;
}

/**
 * The master playlist and its media playlists as a Presentation: every variant's media playlist
 * and the default audio rendition of their group are fetched (`fetchText(uri)`, uri relative to
 * the master). The ABR bitrate is AVERAGE-BANDWIDTH (else BANDWIDTH): both include the audio,
 * as the client's measured throughput does.
 */
export async function loadHls(
  masterText: string,
  fetchText: (uri: string) => Promise<string>,
): Promise<Presentation> {
  const master = parseHlsMaster(masterText);
  const video: Track[] = [];
  for (const v of master.variants) {
    const pl = parseHlsMediaPlaylist(await fetchText(v.uri));
    video.push({
      id: trackName(v.height, v.uri),
      bitrateBps: v.averageBandwidth ?? v.bandwidth,
      width: v.width,
      height: v.height,
      codecs: v.codecs,
      init: pl.init === null ? null : resolveRef(v.uri, pl.init),
      segments: timeline(pl.segments.map((s) => ({ ...s, uri: resolveRef(v.uri, s.uri) }))),
    });
  }
  const group = master.variants.find((v) => v.audioGroup)?.audioGroup;
  const audios = master.media.filter((m) => m.type === 'AUDIO' && m.groupId === group && m.uri);
  const audioMedia = audios.find((m) => m.default) ?? audios[0];
  let audio: Track | null = null;
  if (audioMedia?.uri) {
    const pl = parseHlsMediaPlaylist(await fetchText(audioMedia.uri));
    audio = {
      id: audioMedia.name || 'audio',
      bitrateBps: 0,
      init: pl.init === null ? null : resolveRef(audioMedia.uri, pl.init),
      segments: timeline(
        pl.segments.map((s) => ({ ...s, uri: resolveRef(audioMedia.uri as string, s.uri) })),
      ),
    };
  }
  const ladder = sortLadder(video);
  const last = ladder[0]?.segments.at(-1);
  return {
    protocol: 'hls',
    video: ladder,
    audio,
    durationSeconds: last ? last.startSeconds + last.durationSeconds : 0,
  };
}

/** The media segments of an HLS media playlist with their EXTINF durations. Pure. */
export function hlsSegments(text: string): Array<{ uri: string; duration: number }> {
  const out: Array<{ uri: string; duration: number }> = [];
  let duration: number | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('#EXTINF:')) duration = Number.parseFloat(line.slice('#EXTINF:'.length));
    else if (line && !line.startsWith('#')) {
      out.push({ uri: line, duration: duration ?? 0 });
      duration = null;
    }
  }
  return out;
}

/** Files an HLS playlist names: variant/rendition playlists of a master, or init + media segments. Pure. */
export function filesInHlsPlaylist(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('#')) {
      const uri = /URI="([^"]+)"/.exec(line);
      if (uri && /^#EXT-X-(MAP|MEDIA|I-FRAME-STREAM-INF)/.test(line)) out.push(uri[1] as string);
      continue;
    }
    out.push(line);
  }
  return [...new Set(out)];
}

/** Duration of a media playlist: the sum of its #EXTINF durations. */
export function hlsDuration(text: string): number {
  return hlsSegments(text).reduce((total, s) => total + s.duration, 0);
}

/** A number for a playlist attribute or EXTINF: at most `digits` decimals, no trailing zeros. */
function decimal(x: number, digits: number): string {
  return Number(x.toFixed(digits)).toString();
}

const quoted = (s: string) => s.replace(/["\r\n]/g, "'");

/** The renditions' frame rate as HLS writes it (`29.970`). */
function frameRate(rate: string | undefined): string | null {
  if (!rate) return null;
  const [n, d] = rate.split('/').map(Number);
  const fps = d ? (n ?? 0) / d : (n ?? 0);
  return fps > 0 ? fps.toFixed(3) : null;
}

/**
 * The master playlist of a package: every rendition up to `maxHeight` (all without it), its
 * BANDWIDTH the peak of video and audio together, AVERAGE-BANDWIDTH the average; one audio group
 * per audio codec (a player picks a variant whose codecs it has) with CHANNELS on every track;
 * the subtitles in their own group. URIs are relative to the master, which sits at the root.
 */
export function writeHlsMaster(m: PackageModel, opts: { maxHeight?: number } = {}): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS'];
  const groups = new Map<string, PackagedTrack[]>();
  for (const a of m.audio) groups.set(a.codecs, [...(groups.get(a.codecs) ?? []), a]);
  const groupIds = [...groups.keys()].map((_, i) => (i === 0 ? 'audio' : `audio-${i + 1}`));
  [...groups.values()].forEach((tracks, g) => {
    tracks.forEach((a, i) => {
      const attrs = [
        'TYPE=AUDIO',
        `GROUP-ID="${groupIds[g]}"`,
        `NAME="${quoted(a.label ?? a.id)}"`,
        ...(a.language && a.language !== 'und' ? [`LANGUAGE="${quoted(a.language)}"`] : []),
        ...(a.channels ? [`CHANNELS="${a.channels}"`] : []),
        `DEFAULT=${i === 0 ? 'YES' : 'NO'}`,
        'AUTOSELECT=YES',
        `URI="${a.dir}playlist.m3u8"`,
      ];
      lines.push(`#EXT-X-MEDIA:${attrs.join(',')}`);
    });
  });
  m.subtitles.forEach((s, i) => {
    const isDefault = s.default || (i === 0 && !m.subtitles.some((x) => x.default));
    lines.push(
      `#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="${quoted(s.label)}",LANGUAGE="${quoted(s.language)}",DEFAULT=${isDefault ? 'YES' : 'NO'},AUTOSELECT=YES,FORCED=${s.forced ? 'YES' : 'NO'},URI="${s.playlist}"`,
    );
  });
  const audioGroups = [...groups.entries()];
  for (const v of videoUnder(m, opts.maxHeight)) {
    for (const [g, [codecs, tracks]] of (audioGroups.length
      ? audioGroups
      : [[null, []] as const]
    ).entries()) {
      const audioPeak = Math.max(0, ...tracks.map((a) => a.peakBitsPerSecond));
      const audioAverage = Math.max(0, ...tracks.map((a) => a.averageBitsPerSecond));
      const attrs = [
        `BANDWIDTH=${v.peakBitsPerSecond + audioPeak}`,
        `AVERAGE-BANDWIDTH=${v.averageBitsPerSecond + audioAverage}`,
        `RESOLUTION=${v.width}x${v.height}`,
        ...(frameRate(v.frameRate) ? [`FRAME-RATE=${frameRate(v.frameRate)}`] : []),
        `CODECS="${[v.codecs, ...(codecs ? [codecs] : [])].join(',')}"`,
        ...(codecs ? [`AUDIO="${groupIds[g]}"`] : []),
        ...(m.subtitles.length ? ['SUBTITLES="subs"'] : []),
      ];
      lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`, `${v.dir}playlist.m3u8`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * A track's media playlist, its URIs relative to the track's own directory: the init segment as
 * EXT-X-MAP, every segment with its exact duration (from its boxes), VOD, ended.
 */
export function writeHlsMediaPlaylist(t: PackagedTrack): string {
  const seconds = t.segments.map((s) => s.duration / t.timescale);
  // each EXTINF, rounded, must not exceed the target duration
  const target = Math.max(1, ...seconds.map((s) => Math.round(s)));
  const rel = (uri: string) => (uri.startsWith(t.dir) ? uri.slice(t.dir.length) : uri);
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    `#EXT-X-TARGETDURATION:${target}`,
    '#EXT-X-PLAYLIST-TYPE:VOD',
    '#EXT-X-INDEPENDENT-SEGMENTS',
    `#EXT-X-MAP:URI="${rel(t.init)}"`,
  ];
  t.segments.forEach((s, i) => {
    lines.push(`#EXTINF:${decimal(seconds[i] as number, 6)},`, rel(s.uri));
  });
  lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

/** A subtitle track's playlist: the whole WebVTT file as its one segment. */
export function writeSubtitlePlaylist(
  s: Pick<PackagedSubtitle, 'file' | 'playlist'>,
  durationSeconds: number,
): string {
  const dir = s.playlist.slice(0, s.playlist.lastIndexOf('/') + 1);
  const name = s.file.startsWith(dir) ? s.file.slice(dir.length) : s.file;
  return [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    `#EXT-X-TARGETDURATION:${Math.max(1, Math.ceil(durationSeconds))}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    `#EXTINF:${decimal(durationSeconds, 3)},`,
    name,
    '#EXT-X-ENDLIST',
    '',
  ].join('\n');
}
