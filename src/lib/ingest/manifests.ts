/**
 * The object names an HLS master/media playlist or a DASH MPD refers to, resolved against the
 * manifest's own path, so validation can check that every one of them exists in the origin.
 */
import { posix } from 'node:path';

export function resolveRef(manifestPath: string, ref: string): string {
  return posix.normalize(posix.join(posix.dirname(manifestPath), ref));
}

/** URIs in an HLS playlist: every non-comment line, plus URI="..." attributes (EXT-X-MAP, EXT-X-MEDIA). */
export function hlsReferences(text: string): string[] {
  const refs: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('#')) {
      for (const m of line.matchAll(/URI="([^"]+)"/g)) if (m[1]) refs.push(m[1]);
      continue;
    }
    refs.push(line);
  }
  return refs;
}

/** Duration of a media playlist: the sum of its #EXTINF durations. */
export function hlsDuration(text: string): number {
  let total = 0;
  for (const m of text.matchAll(/#EXTINF:([0-9.]+)/g)) total += Number(m[1]);
  return total;
}

const attr = (tag: string, name: string) => tag.match(new RegExp(`\\b${name}="([^"]*)"`))?.[1];

/**
 * Segment names of an MPD written with SegmentTemplate (initialization + media with
 * $RepresentationID$ and $Number$ or $Time$) and a SegmentTimeline, as ffmpeg's dash muxer writes.
 */
export function mpdReferences(text: string): string[] {
  const refs: string[] = [];
  const adaptationSets = text.split(/<AdaptationSet\b/).slice(1);
  for (const set of adaptationSets) {
    const setTemplate = set.match(
      /<SegmentTemplate\b[^>]*>[\s\S]*?<\/SegmentTemplate>|<SegmentTemplate\b[^>]*\/>/,
    )?.[0];
    for (const rep of set.split(/<Representation\b/).slice(1)) {
      const id = attr(rep, 'id') ?? '';
      const template =
        rep.match(/<SegmentTemplate\b[^>]*>[\s\S]*?<\/SegmentTemplate>|<SegmentTemplate\b[^>]*\/>/)?.[0] ??
        setTemplate;
      if (!template) {
        const base = rep.match(/<BaseURL>([^<]+)<\/BaseURL>/)?.[1];
        if (base) refs.push(base);
        continue;
      }
      const fill = (s: string, n: number, t: number) =>
        s
          .replace(/\$RepresentationID\$/g, id)
          .replace(/\$Number(%0(\d+)d)?\$/g, (_m, _f, w) =>
            w ? String(n).padStart(Number(w), '0') : String(n),
          )
          .replace(/\$Time\$/g, String(t));
      const init = attr(template, 'initialization');
      const media = attr(template, 'media');
      const start = Number(attr(template, 'startNumber') ?? '1');
      if (init) refs.push(fill(init, start, 0));
      if (!media) continue;
      let n = start;
      let t = 0;
      for (const s of template.matchAll(/<S\b([^>]*)\/>/g)) {
        const sTag = s[1] ?? '';
        const tAttr = sTag.match(/\bt="(\d+)"/)?.[1];
        if (tAttr) t = Number(tAttr);
        const d = Number(sTag.match(/\bd="(\d+)"/)?.[1] ?? '0');
        const r = Number(sTag.match(/\br="(-?\d+)"/)?.[1] ?? '0');
        for (let i = 0; i <= r; i++) {
          refs.push(fill(media, n++, t));
          t += d;
        }
      }
    }
  }
  return refs;
}
