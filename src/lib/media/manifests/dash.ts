/**
 * DASH as flix packages it: one Period, a video AdaptationSet of Representations and an audio one,
 * each with a SegmentTemplate (`$RepresentationID$`, `$Number%05d$`) and a SegmentTimeline, as
 * ffmpeg's dash muxer writes it. Also reads a SegmentTemplate with @duration, a SegmentList, and a
 * template on the AdaptationSet inherited by its Representations. Text (subtitle) sets are skipped.
 * Pure: a small XML reader, no dependency.
 */
import { FlixError } from '../../core/errors.js';
import {
  maxSegmentSeconds,
  type PackagedTrack,
  type PackageModel,
  presentationSeconds,
  videoUnder,
} from './package-model.js';
import { type MediaSegment, type Presentation, sortLadder, type Track, trackName } from './presentation.js';

/** An XML element: name without namespace prefix, attributes, children, text. */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const decode = (s: string) => s.replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) => entities[e] ?? '');

/** Reads XML into elements (enough for manifests: no DTDs, no CDATA). Throws on unbalanced tags. */
export function parseXml(text: string): XmlElement {
  const root: XmlElement = { name: '#root', attrs: {}, children: [], text: '' };
  const stack = [root];
  const re =
    /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[^\s=>/]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const top = stack[stack.length - 1] as XmlElement;
    top.text += decode(text.slice(last, m.index));
    last = re.lastIndex;
    const [whole, closing, qname = '', rawAttrs = '', selfClosing] = m;
    if (whole.startsWith('<!--') || whole.startsWith('<?')) continue;
    const name = qname.replace(/^.*:/, '');
    if (closing) {
      if (top.name !== name) throw new Error(`</${name}> closes <${top.name}>`);
      stack.pop();
      continue;
    }
    const attrs: Record<string, string> = {};
    const ar = /([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
    for (let a = ar.exec(rawAttrs); a; a = ar.exec(rawAttrs)) {
      attrs[(a[1] ?? '').replace(/^.*:/, '')] = decode(a[2] ?? a[3] ?? '');
    }
    const el: XmlElement = { name, attrs, children: [], text: '' };
    top.children.push(el);
    if (!selfClosing) stack.push(el);
  }
  if (stack.length !== 1) throw new Error(`<${stack[stack.length - 1]?.name}> is never closed`);
  return root;
}

export const child = (el: XmlElement | undefined, name: string) => el?.children.find((c) => c.name === name);
export const children = (el: XmlElement | undefined, name: string) =>
  el?.children.filter((c) => c.name === name) ?? [];

/** ISO 8601 duration (`PT1H2M3.5S`, `P1DT2S`) in seconds; NaN when it is not one. */
export function parseIsoDuration(text: string): number {
  const m =
    /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(
      text.trim(),
    );
  if (!m) return Number.NaN;
  const [, d = '0', h = '0', min = '0', s = '0'] = m;
  return Number(d) * 86400 + Number(h) * 3600 + Number(min) * 60 + Number(s);
}

/** Fills a SegmentTemplate pattern: $RepresentationID$, $Number$, $Time$, $Bandwidth$, with %0Nd widths. */
export function fillTemplate(
  pattern: string,
  values: { RepresentationID: string; Number?: number; Time?: number; Bandwidth?: number },
): string {
  return pattern.replace(
    /\$(RepresentationID|Number|Time|Bandwidth|)(?:%0(\d+)d)?\$/g,
    (_, key: string, width) => {
      if (key === '') return '$';
      const v = values[key as keyof typeof values];
      if (v === undefined) throw new Error(`$${key}$ has no value`);
      const s = String(v);
      return width ? s.padStart(Number(width), '0') : s;
    },
  );
}

function notDash(problem: string): never {
  throw new FlixError(`the DASH manifest is not usable: ${problem}`, {
    code: 'invalidInput',
    nextStep: 'check the title with `flix titles show <title>`; re-ingest it if its manifests are broken',
  });
}

/** Merges the attributes of a template on the AdaptationSet with one on the Representation. */
export function template(set: XmlElement, rep: XmlElement): XmlElement | undefined {
  const outer = child(set, 'SegmentTemplate');
  const inner = child(rep, 'SegmentTemplate');
  if (!outer) return inner;
  if (!inner) return outer;
  return {
    ...inner,
    attrs: { ...outer.attrs, ...inner.attrs },
    children: inner.children.length ? inner.children : outer.children,
  };
}

function segmentsOf(
  set: XmlElement,
  rep: XmlElement,
  durationSeconds: number,
): { init: string | null; segments: MediaSegment[] } {
  const id = rep.attrs.id ?? '';
  const bandwidth = Number(rep.attrs.bandwidth);
  const tpl = template(set, rep);
  if (tpl) {
    const a = tpl.attrs;
    const timescale = Number(a.timescale ?? 1);
    const startNumber = Number(a.startNumber ?? 1);
    const media = a.media ?? notDash(`Representation ${id} has a SegmentTemplate without @media`);
    const init = a.initialization
      ? fillTemplate(a.initialization, { RepresentationID: id, Bandwidth: bandwidth })
      : null;
    const segments: MediaSegment[] = [];
    const add = (time: number, d: number) =>
      segments.push({
        uri: fillTemplate(media, {
          RepresentationID: id,
          Number: startNumber + segments.length,
          Time: time,
          Bandwidth: bandwidth,
        }),
        startSeconds: time / timescale,
        durationSeconds: d / timescale,
      });
    const tl = child(tpl, 'SegmentTimeline');
    if (tl) {
      let t = 0;
      for (const s of children(tl, 'S')) {
        if (s.attrs.t !== undefined) t = Number(s.attrs.t);
        const d = Number(s.attrs.d);
        if (!(d > 0)) notDash(`Representation ${id} has an S without a positive @d`);
        let repeat = Number(s.attrs.r ?? 0);
        if (repeat < 0) repeat = Math.max(0, Math.ceil((durationSeconds * timescale - t) / d) - 1);
        for (let k = 0; k <= repeat; k++) {
          add(t, d);
          t += d;
        }
      }
    } else {
      const d = Number(a.duration);
      if (!(d > 0)) notDash(`Representation ${id} has a SegmentTemplate with neither timeline nor @duration`);
      if (!(durationSeconds > 0)) notDash('the MPD has no mediaPresentationDuration');
      const count = Math.ceil((durationSeconds * timescale) / d - 1e-6);
      for (let k = 0; k < count; k++) add(k * d, Math.min(d, durationSeconds * timescale - k * d));
    }
    return { init, segments };
  }
  const list = child(rep, 'SegmentList') ?? child(set, 'SegmentList');
  if (list) {
    const timescale = Number(list.attrs.timescale ?? 1);
    const d = Number(list.attrs.duration);
    const urls = children(list, 'SegmentURL');
    const durations = children(child(list, 'SegmentTimeline'), 'S').flatMap((s) =>
      Array.from({ length: Number(s.attrs.r ?? 0) + 1 }, () => Number(s.attrs.d) / timescale),
    );
    let t = 0;
    const segments = urls.map((u, k) => {
      const seconds = durations[k] ?? (d > 0 ? d / timescale : durationSeconds / urls.length);
      const seg = {
        uri: u.attrs.media ?? notDash(`a SegmentURL of Representation ${id} has no @media`),
        startSeconds: t,
        durationSeconds: Math.min(seconds, durationSeconds > 0 ? durationSeconds - t : seconds),
      };
      t += seconds;
      return seg;
    });
    return { init: child(list, 'Initialization')?.attrs.sourceURL ?? null, segments };
  }
  notDash(`Representation ${id} has neither SegmentTemplate nor SegmentList`);
}

function kind(set: XmlElement, rep?: XmlElement): string {
  const type = set.attrs.contentType ?? (rep?.attrs.mimeType ?? set.attrs.mimeType ?? '').split('/')[0];
  return type ?? '';
}

/**
 * The MPD as a Presentation: video Representations as the ladder, the first audio one as the audio
 * track. The ABR bitrate of a video track is its @bandwidth plus the audio's, so it compares with
 * a throughput measured over video and audio bytes as HLS's BANDWIDTH does.
 */
export function parseMpd(text: string): Presentation {
  let root: XmlElement;
  try {
    root = parseXml(text);
  } catch (e) {
    notDash(`it is not well-formed XML (${(e as Error).message})`);
  }
  const mpd = child(root, 'MPD') ?? notDash('there is no <MPD> element');
  if (mpd.attrs.type === 'dynamic') notDash('it is a live (dynamic) presentation; flix play reads VOD');
  const periods = children(mpd, 'Period');
  const period = periods[0] ?? notDash('it has no Period');
  const total = parseIsoDuration(mpd.attrs.mediaPresentationDuration ?? period.attrs.duration ?? '');
  const video: Track[] = [];
  let audio: Track | null = null;
  for (const set of children(period, 'AdaptationSet')) {
    for (const rep of children(set, 'Representation')) {
      const type = kind(set, rep);
      if (type !== 'video' && type !== 'audio') continue;
      if (type === 'audio' && audio) continue;
      const { init, segments } = segmentsOf(set, rep, total);
      const width = Number(rep.attrs.width ?? set.attrs.width) || undefined;
      const height = Number(rep.attrs.height ?? set.attrs.height) || undefined;
      const track: Track = {
        id: type === 'video' ? trackName(height, rep.attrs.id ?? '?') : `audio-${rep.attrs.id ?? ''}`,
        bitrateBps: Number(rep.attrs.bandwidth) || 0,
        width,
        height,
        codecs: rep.attrs.codecs ?? set.attrs.codecs,
        init,
        segments,
      };
      if (segments.length === 0) notDash(`Representation ${rep.attrs.id} has no segments`);
      if (type === 'video') video.push(track);
      else audio = track;
    }
  }
  if (video.length === 0) notDash('it has no video Representation');
  const audioBps = audio?.bitrateBps ?? 0;
  const ladder = sortLadder(video.map((t) => ({ ...t, bitrateBps: t.bitrateBps + audioBps })));
  const last = ladder[0]?.segments.at(-1);
  return {
    protocol: 'dash',
    video: ladder,
    audio,
    durationSeconds: total > 0 ? total : last ? last.startSeconds + last.durationSeconds : 0,
  };
}

/**
 * Files a DASH MPD names through SegmentTemplate + SegmentTimeline (what ffmpeg writes): each
 * Representation's initialization segment and every media segment, with $RepresentationID$,
 * $Number$ (with a printf width), $Time$ and $Bandwidth$ filled in; and the BaseURL of a
 * single-file Representation (subtitle tracks). Pure.
 */
export function filesInMpd(text: string): string[] {
  const out: string[] = [];
  for (const rep of text.matchAll(/<Representation\b([^>]*)>([\s\S]*?)<\/Representation>/g)) {
    const attrs = rep[1] as string;
    const body = rep[2] as string;
    const id = attr(attrs, 'id') ?? '';
    const bandwidth = attr(attrs, 'bandwidth') ?? '';
    const tpl = /<SegmentTemplate\b([^>]*)>/.exec(body)?.[1];
    if (!tpl) {
      // a single-file representation (a WebVTT subtitle track)
      const base = /<BaseURL>([^<]+)<\/BaseURL>/.exec(body)?.[1];
      if (base) out.push(base.trim());
      continue;
    }
    const fill = (pattern: string, number: number, time: number) =>
      pattern
        .replaceAll('$RepresentationID$', id)
        .replaceAll('$Bandwidth$', bandwidth)
        .replace(/\$Number(?:%0(\d+)d)?\$/g, (_, w: string | undefined) =>
          String(number).padStart(Number(w ?? 0), '0'),
        )
        .replace(/\$Time(?:%0(\d+)d)?\$/g, (_, w: string | undefined) =>
          String(time).padStart(Number(w ?? 0), '0'),
        )
        .replaceAll('$$', '$');
    const init = attr(tpl, 'initialization');
    if (init) out.push(fill(init, 0, 0));
    const media = attr(tpl, 'media');
    if (!media) continue;
    let number = Number(attr(tpl, 'startNumber') ?? 1);
    let time = 0;
    for (const s of body.matchAll(/<S\b([^>]*)\/?>/g)) {
      const sa = s[1] as string;
      const t = attr(sa, 't');
      if (t !== undefined) time = Number(t);
      const d = Number(attr(sa, 'd') ?? 0);
      const repeat = Number(attr(sa, 'r') ?? 0);
      for (let i = 0; i <= repeat; i++) {
        out.push(fill(media, number, time));
        number += 1;
        time += d;
      }
    }
  }
  return [...new Set(out)];
}

function attr(attrs: string, name: string): string | undefined {
  return new RegExp(`(?:^|\\s)${name}="([^"]*)"`).exec(attrs)?.[1];
}

const xmlEscape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Seconds as an ISO 8601 duration, to the millisecond (rounded up: a duration never undersells). */
export function isoDuration(seconds: number): string {
  return `PT${Number((Math.ceil(seconds * 1000 - 1e-6) / 1000).toFixed(3))}S`;
}

/** A SegmentTimeline: runs of equal consecutive durations as one S with @r. */
function segmentTimeline(t: PackagedTrack, indent: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < t.segments.length) {
    const s = t.segments[i] as PackagedTrack['segments'][number];
    let r = 0;
    while (i + r + 1 < t.segments.length) {
      const n = t.segments[i + r + 1] as PackagedTrack['segments'][number];
      const p = t.segments[i + r] as PackagedTrack['segments'][number];
      if (n.duration !== s.duration || n.start !== p.start + p.duration) break;
      r++;
    }
    const prev = t.segments[i - 1];
    const contiguous = prev !== undefined && s.start === prev.start + prev.duration;
    const attrs = [
      ...(contiguous ? [] : [`t="${s.start}"`]),
      `d="${s.duration}"`,
      ...(r ? [`r="${r}"`] : []),
    ];
    out.push(`${indent}<S ${attrs.join(' ')} />`);
    i += r + 1;
  }
  return out;
}

/** A track's SegmentTemplate; URLs relative to the MPD at the title's root. */
function segmentTemplate(t: PackagedTrack, indent: string): string[] {
  const media = (t.segments[0]?.uri ?? `${t.dir}seg-00001.m4s`).replace(
    /\d{5}(\.m4s)$/,
    (_, ext: string) => `$Number%05d$${ext}`,
  );
  const attrs = [
    `timescale="${t.timescale}"`,
    `initialization="${xmlEscape(t.init)}"`,
    `media="${xmlEscape(media)}"`,
    'startNumber="1"',
    ...(t.presentationTimeOffset ? [`presentationTimeOffset="${t.presentationTimeOffset}"`] : []),
  ];
  return [
    `${indent}<SegmentTemplate ${attrs.join(' ')}>`,
    `${indent}\t<SegmentTimeline>`,
    ...segmentTimeline(t, `${indent}\t\t`),
    `${indent}\t</SegmentTimeline>`,
    `${indent}</SegmentTemplate>`,
  ];
}

/**
 * The MPD of a package (only renditions up to `maxHeight`): one static Period; the video
 * renditions in one adaptation set, each audio track in its own (with its channel configuration
 * and language), each subtitle track in its own; every timeline as the segments' boxes have it;
 * durations rounded up to the millisecond.
 */
export function writeMpd(m: PackageModel, opts: { maxHeight?: number } = {}): string {
  const video = videoUnder(m, opts.maxHeight);
  const seconds = presentationSeconds(m);
  const nominal = Math.max(1, Math.round(maxSegmentSeconds(m)));
  const lines = [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011,urn:mpeg:dash:profile:cmaf:2019"',
    `\ttype="static" mediaPresentationDuration="${isoDuration(seconds)}" maxSegmentDuration="${isoDuration(maxSegmentSeconds(m))}" minBufferTime="PT${2 * nominal}S">`,
    '\t<Period id="0" start="PT0S">',
  ];
  const first = video[0];
  if (first) {
    const maxW = Math.max(...video.map((v) => v.width ?? 0));
    const maxH = Math.max(...video.map((v) => v.height ?? 0));
    lines.push(
      `\t\t<AdaptationSet id="0" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1" maxWidth="${maxW}" maxHeight="${maxH}" par="${m.displayAspectRatio}"${first.frameRate ? ` frameRate="${first.frameRate}"` : ''}>`,
    );
    for (const v of video) {
      lines.push(
        `\t\t\t<Representation id="${xmlEscape(v.id)}" codecs="${v.codecs}" bandwidth="${v.peakBitsPerSecond}" width="${v.width}" height="${v.height}" sar="${v.sar ?? '1:1'}">`,
        ...segmentTemplate(v, '\t\t\t\t'),
        '\t\t\t</Representation>',
      );
    }
    lines.push('\t\t</AdaptationSet>');
  }
  m.audio.forEach((a, i) => {
    const lang = a.language ?? 'und';
    lines.push(
      `\t\t<AdaptationSet id="${1 + i}" contentType="audio" mimeType="audio/mp4" segmentAlignment="true" startWithSAP="1" lang="${xmlEscape(lang)}">`,
      `\t\t\t<Role schemeIdUri="urn:mpeg:dash:role:2011" value="${i === 0 ? 'main' : 'alternate'}" />`,
      `\t\t\t<Label>${xmlEscape(a.label ?? a.id)}</Label>`,
      `\t\t\t<Representation id="${xmlEscape(a.id)}" codecs="${a.codecs}" bandwidth="${a.peakBitsPerSecond}" audioSamplingRate="${a.sampleRate ?? a.timescale}">`,
      `\t\t\t\t<AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="${a.channels ?? 2}" />`,
      ...segmentTemplate(a, '\t\t\t\t'),
      '\t\t\t</Representation>',
      '\t\t</AdaptationSet>',
    );
  });
  m.subtitles.forEach((s, i) => {
    lines.push(
      `\t\t<AdaptationSet id="${100 + i}" contentType="text" mimeType="text/vtt" lang="${xmlEscape(s.language)}">`,
      `\t\t\t<Role schemeIdUri="urn:mpeg:dash:role:2011" value="${s.forced ? 'forced-subtitle' : 'subtitle'}" />`,
      `\t\t\t<Label>${xmlEscape(s.label)}</Label>`,
      `\t\t\t<Representation id="sub${i}" bandwidth="256">`,
      `\t\t\t\t<BaseURL>${xmlEscape(s.file)}</BaseURL>`,
      '\t\t\t</Representation>',
      '\t\t</AdaptationSet>',
    );
  });
  lines.push('\t</Period>', '</MPD>');
  return `${lines.join('\n')}\n`;
}
