import { brandsBox, children, makeBox, readBoxes } from './boxes.js';
import { readTrackFragment, type TrackInit } from './fragments.js';

/**
 * Re-cutting a CMAF track into segments flix chooses: the samples of a track's fragments (as
 * ffmpeg wrote them) are read out and written again as one `moof` + `mdat` per segment, each
 * segment starting where flix wants it to — the video on its GOPs, the audio on the AAC frame
 * nearest each video segment boundary, so both timelines sit on one grid. Every segment gets a
 * CMAF segment type box (`styp` with `cmfs`), a `tfdt` (64-bit) and a `trun` that states each
 * sample's duration, size, flags and signed composition offset. No `sidx`: a CMAF track
 * addressed through a SegmentTimeline and playlists needs none, and a wrong one misleads players.
 */

export interface Sample {
  /** decode time on the track's timeline, ticks */
  decodeTime: number;
  duration: number;
  flags: number;
  /** composition offset, ticks (signed) */
  compositionOffset: number;
  data: Buffer;
}

const SAMPLE_IS_NON_SYNC = 0x00010000;

/** Every sample of a track's media segments, in decode order. */
export function readSamples(
  segments: readonly Buffer[],
  init: Pick<TrackInit, 'trackId' | 'defaults'>,
): Sample[] {
  const out: Sample[] = [];
  for (const buf of segments) {
    for (const moof of readBoxes(buf).filter((b) => b.type === 'moof')) {
      for (const traf of children(buf, moof, 'traf')) {
        const fragment = readTrackFragment(buf, traf, init);
        if (!fragment) continue;
        if (fragment.decodeTime === null) throw new Error('a traf has no tfdt');
        let decode = fragment.decodeTime;
        const base = fragment.baseDataOffset ?? moof.start;
        for (const run of fragment.runs) {
          let pos = base + run.dataOffset;
          for (const s of run.samples) {
            if (pos + s.size > buf.length)
              throw new Error(`a sample runs past the end of its segment (${pos + s.size} > ${buf.length})`);
            out.push({
              decodeTime: decode,
              duration: s.duration,
              flags: s.flags,
              compositionOffset: s.compositionOffset,
              data: buf.subarray(pos, pos + s.size),
            });
            pos += s.size;
            decode += s.duration;
          }
        }
      }
    }
  }
  return out;
}

/** Whether a sample can start a segment (a sync sample: an IDR frame, or any audio frame). */
export const isSync = (s: Sample) => (s.flags & SAMPLE_IS_NON_SYNC) === 0;

/**
 * Indexes of the samples that start each segment: for audio, the frame whose start is nearest each
 * boundary (seconds on the track's timeline); the first segment always starts at sample 0.
 */
export function cutsNearest(
  samples: readonly Sample[],
  timescale: number,
  boundaries: readonly number[],
): number[] {
  const cuts = [0];
  let i = 0;
  for (const b of boundaries) {
    const target = b * timescale;
    while (
      i + 1 < samples.length &&
      Math.abs((samples[i + 1] as Sample).decodeTime - target) <=
        Math.abs((samples[i] as Sample).decodeTime - target)
    ) {
      i++;
    }
    if (i > (cuts.at(-1) as number)) cuts.push(i);
  }
  return cuts;
}

/** Indexes of the sync samples that start each segment of a video track cut at `cuts` seconds. */
export function cutsAtSync(
  samples: readonly Sample[],
  timescale: number,
  boundaries: readonly number[],
): number[] {
  const cuts = [0];
  for (const b of boundaries) {
    const target = b * timescale;
    const i = samples.findIndex(
      (s, k) => k > (cuts.at(-1) as number) && isSync(s) && s.decodeTime >= target - 1,
    );
    if (i > 0) cuts.push(i);
  }
  return cuts;
}

/** The CMAF media segment of `samples` (one moof + mdat), numbered `sequence`. */
export function writeSegment(trackId: number, sequence: number, samples: readonly Sample[]): Buffer {
  if (samples.length === 0) throw new Error('a segment needs at least one sample');
  const first = samples[0] as Sample;
  const signed = samples.some((s) => s.compositionOffset !== 0);
  const mfhd = makeBox('mfhd', u32s(0, sequence));
  // default-base-is-moof: data offsets count from the moof, so a segment stands on its own
  const tfhd = makeBox('tfhd', Buffer.concat([u32(0x020000), u32(trackId)]));
  const tfdtBody = Buffer.alloc(12);
  tfdtBody.writeUInt32BE(0x01000000, 0);
  tfdtBody.writeBigUInt64BE(BigInt(first.decodeTime), 4);
  const tfdt = makeBox('tfdt', tfdtBody);
  const trunFlags = 0x01 | 0x100 | 0x200 | 0x400 | (signed ? 0x800 : 0);
  const perSample = signed ? 16 : 12;
  const trunBody = Buffer.alloc(4 + 4 + 4 + perSample * samples.length);
  trunBody.writeUInt32BE(((signed ? 1 : 0) << 24) | trunFlags, 0);
  trunBody.writeUInt32BE(samples.length, 4);
  // data offset (filled below, once the moof's size is known)
  samples.forEach((s, i) => {
    const at = 12 + i * perSample;
    trunBody.writeUInt32BE(s.duration, at);
    trunBody.writeUInt32BE(s.data.length, at + 4);
    trunBody.writeUInt32BE(s.flags >>> 0, at + 8);
    if (signed) trunBody.writeInt32BE(s.compositionOffset, at + 12);
  });
  const traf = () => makeBox('traf', Buffer.concat([tfhd, tfdt, makeBox('trun', trunBody)]));
  const moofSize = 8 + mfhd.length + traf().length;
  trunBody.writeInt32BE(moofSize + 8, 8);
  const moof = makeBox('moof', Buffer.concat([mfhd, traf()]));
  const mdat = makeBox('mdat', Buffer.concat(samples.map((s) => s.data)));
  return Buffer.concat([brandsBox('styp', 'cmfs', 0, ['cmfs', 'msdh']), moof, mdat]);
}

/** The segments of a track cut at `cuts` (sample indexes, the first 0). */
export function writeSegments(
  trackId: number,
  samples: readonly Sample[],
  cuts: readonly number[],
): Buffer[] {
  return cuts.map((start, k) =>
    writeSegment(trackId, k + 1, samples.slice(start, cuts[k + 1] ?? samples.length)),
  );
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

function u32s(...ns: number[]): Buffer {
  return Buffer.concat(ns.map(u32));
}
