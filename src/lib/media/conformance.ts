import {
  child,
  children,
  fillTemplate,
  parseIsoDuration,
  parseXml,
  template,
  type XmlElement,
} from './manifests/dash.js';
import { parseHlsMaster, parseHlsMediaPlaylist, resolveRef } from './manifests/hls.js';
import { type FragmentInfo, readFragment, readInit, type TrackInit } from './mp4/fragments.js';

/**
 * Do a package's manifests describe its media exactly? Every segment's start and length as HLS
 * and DASH state them is compared with the segment's own boxes (`tfdt`, the `trun` samples) —
 * never with what a muxer believed it wrote — and so are the MPD's presentation and segment
 * durations, the composition offset, the SAP promise and the CMAF brands. A difference of a whole
 * sample or more is a problem (the drift this exists to catch was exactly one AAC frame per
 * segment); less is the rounding of a decimal EXTINF. What validation runs before a title is
 * published.
 */

export interface ConformanceInput {
  /** the HLS master and the DASH MPD, relative to the package root (either may be absent) */
  hlsMaster?: string;
  dashManifest?: string;
  /** the bytes of a file of the package, by its path relative to the root */
  read(path: string): Promise<Buffer>;
}

interface TrackFacts {
  init: TrackInit;
  segments: FragmentInfo[];
}

const MS = 0.001;

/** Problems found (empty when the package is exact), each naming the manifest, track and segment. */
export async function checkConformance(input: ConformanceInput): Promise<string[]> {
  const problems: string[] = [];
  const cache = new Map<string, Promise<TrackFacts>>();
  /** A track's init and segments, read once however many manifests name them. */
  const facts = (init: string, segments: string[]) => {
    const key = `${init}|${segments.join('|')}`;
    let f = cache.get(key);
    if (!f) {
      f = (async () => {
        const i = readInit(await input.read(init));
        const segs: FragmentInfo[] = [];
        for (const s of segments) segs.push(readFragment(await input.read(s), i));
        return { init: i, segments: segs };
      })();
      cache.set(key, f);
    }
    return f;
  };
  if (input.hlsMaster) problems.push(...(await checkHls(input.hlsMaster, input, facts)));
  if (input.dashManifest) problems.push(...(await checkDash(input.dashManifest, input, facts)));
  return problems;
}

type Facts = (init: string, segments: string[]) => Promise<TrackFacts>;

/** Segment-level checks every track shares: CMAF brands, and a sidx that keeps its SAP promise. */
function segmentProblems(where: string, t: TrackFacts): string[] {
  const out: string[] = [];
  t.segments.forEach((s, i) => {
    if (s.brands && !s.brands.includes('cmfs'))
      out.push(`${where} segment ${i + 1}: styp has no CMAF brand cmfs (${s.brands.join(', ')})`);
    if (s.sidx?.startsWithSap && s.sidx.sapType === 0) {
      out.push(`${where} segment ${i + 1}: sidx says it starts with a SAP but gives SAP type 0`);
    }
  });
  return out;
}

/** One sample of a segment, seconds (the tolerance of every comparison). */
const sampleSeconds = (s: FragmentInfo, timescale: number) =>
  (s.samples > 0 ? s.duration / s.samples : 1) / timescale;

async function checkHls(master: string, input: ConformanceInput, facts: Facts): Promise<string[]> {
  const out: string[] = [];
  const m = parseHlsMaster((await input.read(master)).toString('utf8'));
  const playlists = [
    ...m.variants.map((v) => v.uri),
    ...m.media.filter((x) => x.type === 'AUDIO' && x.uri).map((x) => x.uri as string),
  ];
  const masterText = (await input.read(master)).toString('utf8');
  for (const line of masterText.split('\n').filter((l) => l.startsWith('#EXT-X-MEDIA:TYPE=AUDIO'))) {
    if (!line.includes('CHANNELS='))
      out.push(`${master}: an audio rendition has no CHANNELS (${line.slice(0, 80)}…)`);
  }
  for (const rel of [...new Set(playlists)]) {
    const path = resolveRef(master, rel);
    const pl = parseHlsMediaPlaylist((await input.read(path)).toString('utf8'));
    if (!pl.init) {
      out.push(`${path}: no EXT-X-MAP init segment`);
      continue;
    }
    const t = await facts(
      resolveRef(path, pl.init),
      pl.segments.map((s) => resolveRef(path, s.uri)),
    );
    out.push(...segmentProblems(path, t));
    let stated = 0;
    const first = t.segments[0]?.baseDecodeTime ?? 0;
    pl.segments.forEach((s, i) => {
      const real = t.segments[i] as FragmentInfo;
      const tol = sampleSeconds(real, t.init.timescale);
      const length = real.duration / t.init.timescale;
      const start = (real.baseDecodeTime - first) / t.init.timescale;
      if (Math.abs(s.durationSeconds - length) >= tol) {
        out.push(
          `${path} segment ${i + 1}: EXTINF ${s.durationSeconds} s, its samples last ${round6(length)} s`,
        );
      }
      if (Math.abs(stated - start) >= tol) {
        out.push(
          `${path} segment ${i + 1}: the playlist puts it at ${round6(stated)} s, its tfdt at ${round6(start)} s`,
        );
      }
      stated += s.durationSeconds;
    });
  }
  return out;
}

async function checkDash(mpdPath: string, input: ConformanceInput, facts: Facts): Promise<string[]> {
  const out: string[] = [];
  const root = parseXml((await input.read(mpdPath)).toString('utf8'));
  const mpd = child(root, 'MPD');
  const period = mpd ? children(mpd, 'Period')[0] : undefined;
  if (!mpd || !period) return [`${mpdPath}: no MPD with a Period`];
  const stated = parseIsoDuration(mpd.attrs.mediaPresentationDuration ?? '');
  const maxStated = parseIsoDuration(mpd.attrs.maxSegmentDuration ?? '');
  let longestTrack = 0;
  let longestSegment = 0;
  for (const set of children(period, 'AdaptationSet')) {
    const type = set.attrs.contentType ?? set.attrs.mimeType?.split('/')[0];
    if (type !== 'video' && type !== 'audio') continue;
    for (const rep of children(set, 'Representation')) {
      const tpl = template(set, rep);
      const where = `${mpdPath} ${type} ${rep.attrs.id}`;
      if (!tpl) {
        out.push(`${where}: no SegmentTemplate`);
        continue;
      }
      const timeline = expandTimeline(tpl);
      const startNumber = Number(tpl.attrs.startNumber ?? 1);
      const uri = (pattern: string, number: number, time: number) =>
        resolveRef(
          mpdPath,
          fillTemplate(pattern, {
            RepresentationID: rep.attrs.id ?? '',
            Bandwidth: Number(rep.attrs.bandwidth ?? 0),
            Number: number,
            Time: time,
          }),
        );
      const t = await facts(
        uri(tpl.attrs.initialization ?? '', 0, 0),
        timeline.map((s, i) => uri(tpl.attrs.media ?? '', startNumber + i, s.t)),
      );
      out.push(...segmentProblems(where, t));
      const timescale = Number(tpl.attrs.timescale ?? 1);
      if (timescale !== t.init.timescale)
        out.push(`${where}: timescale ${timescale}, the track's is ${t.init.timescale}`);
      timeline.forEach((s, i) => {
        const real = t.segments[i] as FragmentInfo;
        const tol = real.samples > 0 ? real.duration / real.samples : 1;
        if (Math.abs(s.d - real.duration) >= tol)
          out.push(`${where} segment ${i + 1}: d=${s.d}, its samples last ${real.duration}`);
        if (Math.abs(s.t - real.baseDecodeTime) >= tol)
          out.push(`${where} segment ${i + 1}: t=${s.t}, its tfdt is ${real.baseDecodeTime}`);
        if (set.attrs.startWithSAP === '1' && !real.startsWithSync) {
          out.push(`${where} segment ${i + 1}: startWithSAP="1" but it does not start with a sync sample`);
        }
        longestSegment = Math.max(longestSegment, real.duration / t.init.timescale);
      });
      const first = t.segments[0];
      if (first) {
        const pto = Number(tpl.attrs.presentationTimeOffset ?? 0);
        const delay = first.earliestPresentationTime - t.init.editMediaTime;
        const tol = first.samples > 0 ? first.duration / first.samples : 1;
        if (Math.abs(pto - Math.max(0, delay)) >= tol) {
          out.push(
            `${where}: presentation starts at ${delay} ticks (its composition delay), presentationTimeOffset says ${pto}`,
          );
        }
        const last = t.segments.at(-1) as FragmentInfo;
        longestTrack = Math.max(
          longestTrack,
          (last.baseDecodeTime + last.duration - first.baseDecodeTime) / t.init.timescale,
        );
      }
    }
  }
  if (!(stated + MS >= longestTrack)) {
    out.push(
      `${mpdPath}: mediaPresentationDuration ${stated} s is shorter than the media (${round6(longestTrack)} s)`,
    );
  }
  if (stated > longestTrack + 2 * MS) {
    out.push(
      `${mpdPath}: mediaPresentationDuration ${stated} s is longer than the media (${round6(longestTrack)} s)`,
    );
  }
  if (!(maxStated + MS >= longestSegment)) {
    out.push(
      `${mpdPath}: maxSegmentDuration ${maxStated} s is shorter than a segment (${round6(longestSegment)} s)`,
    );
  }
  return out;
}

/** A SegmentTimeline's segments: `t` and `d` for each, with @r repeats expanded. */
function expandTimeline(tpl: XmlElement): Array<{ t: number; d: number }> {
  const out: Array<{ t: number; d: number }> = [];
  let t = 0;
  for (const s of children(child(tpl, 'SegmentTimeline'), 'S')) {
    if (s.attrs.t !== undefined) t = Number(s.attrs.t);
    const d = Number(s.attrs.d);
    const r = Number(s.attrs.r ?? 0);
    for (let k = 0; k <= r; k++) {
      out.push({ t, d });
      t += d;
    }
  }
  return out;
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;
