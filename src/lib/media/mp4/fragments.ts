import { type Box, children, find, findPath, fullBox, readBoxes } from './boxes.js';

/**
 * What flix reads from a CMAF track: the init segment's timescale, codec and picture or sound,
 * and each media segment's timeline from its boxes (`tfdt` for where it starts, `trun` for its
 * samples) — the numbers the manifests are written from and checked against.
 */

export interface TrackInit {
  trackId: number;
  kind: 'video' | 'audio' | 'other';
  /** ticks per second of the track's media timeline (`mdhd`) */
  timescale: number;
  /** RFC 6381 codecs string: `avc1.64001f`, `mp4a.40.2`, `ec-3` */
  codecs: string;
  width?: number;
  height?: number;
  channels?: number;
  sampleRate?: number;
  /** defaults from `trex` for samples that do not state their own */
  defaults: { duration: number; size: number; flags: number };
  /**
   * Where presentation starts on the media timeline, ticks: the first edit's media time (`elst`),
   * 0 without an edit list. A player shows media time t at t − this.
   */
  editMediaTime: number;
}

export interface FragmentInfo {
  /** `tfdt`: decode time of the first sample, ticks */
  baseDecodeTime: number;
  /** sum of the sample durations, ticks */
  duration: number;
  samples: number;
  /** presentation time of the first sample (decode time + its composition offset), ticks */
  firstPresentationTime: number;
  /** the earliest presentation time of any sample, ticks */
  earliestPresentationTime: number;
  /** the first sample is a sync sample (a keyframe: the segment can be started on) */
  startsWithSync: boolean;
  /** brands of the segment's `styp`, when it has one */
  brands: string[] | null;
  /** `sidx` of the segment, when it has one */
  sidx: {
    earliestPresentationTime: number;
    duration: number;
    startsWithSap: boolean;
    sapType: number;
  } | null;
}

const SAMPLE_IS_NON_SYNC = 0x00010000;

/** Reads an init segment (`ftyp` + `moov`) of one track. */
export function readInit(buf: Buffer): TrackInit {
  const trak = findPath(buf, ['moov', 'trak']);
  if (!trak) throw new Error('the init segment has no moov/trak');
  const trakKids = readBoxes(buf, trak);
  const tkhd = find(trakKids, 'tkhd');
  const mdia = find(trakKids, 'mdia');
  if (!tkhd || !mdia) throw new Error('the track has no tkhd or mdia');
  const mdiaKids = readBoxes(buf, mdia);
  const mdhd = find(mdiaKids, 'mdhd');
  const hdlr = find(mdiaKids, 'hdlr');
  if (!mdhd || !hdlr) throw new Error('the track has no mdhd or hdlr');
  const mdhdF = fullBox(mdhd);
  const timescale = mdhdF.version === 1 ? mdhdF.body.readUInt32BE(16) : mdhdF.body.readUInt32BE(8);
  const handler = fullBox(hdlr).body.toString('latin1', 4, 8);
  const tkhdF = fullBox(tkhd);
  const trackId = tkhdF.version === 1 ? tkhdF.body.readUInt32BE(16) : tkhdF.body.readUInt32BE(8);

  const stsd = findPath(buf, ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stsd']);
  if (!stsd) throw new Error('the track has no sample description (stsd)');
  // stsd: full box, entry count, then sample entries (boxes)
  const entries = readBoxes(stsd.data.subarray(8));
  const entry = entries[0];
  if (!entry) throw new Error('the track has no sample entry');
  const kind = handler === 'vide' ? 'video' : handler === 'soun' ? 'audio' : 'other';
  const init: TrackInit = {
    trackId,
    kind,
    timescale,
    codecs: entry.type,
    defaults: trackDefaults(buf, trackId),
    editMediaTime: editMediaTime(buf, trak),
  };
  if (kind === 'video') Object.assign(init, visualEntry(entry));
  else if (kind === 'audio') Object.assign(init, audioEntry(entry));
  return init;
}

/** avc1/avc3 (H.264) and hvc1/hev1: the picture size and the codecs string from the config box. */
function visualEntry(entry: Box): Partial<TrackInit> {
  // VisualSampleEntry: 6 reserved, 2 data ref index, 16 pre-defined/reserved, width, height, ...
  const width = entry.data.readUInt16BE(24);
  const height = entry.data.readUInt16BE(26);
  const boxes = readBoxes(entry.data.subarray(78));
  const avcC = find(boxes, 'avcC');
  let codecs = entry.type;
  if (avcC) {
    const hex = (n: number) => (avcC.data[n] ?? 0).toString(16).padStart(2, '0');
    codecs = `${entry.type}.${hex(1)}${hex(2)}${hex(3)}`;
  }
  return { width, height, codecs };
}

/** mp4a (AAC) and ec-3 / ac-3: channels, sample rate and the codecs string. */
function audioEntry(entry: Box): Partial<TrackInit> {
  // AudioSampleEntry: 6 reserved, 2 data ref index, 8 reserved, channelcount, samplesize, 4, rate 16.16
  const channels = entry.data.readUInt16BE(16);
  const sampleRate = entry.data.readUInt32BE(24) >>> 16;
  let codecs = entry.type;
  if (entry.type === 'mp4a') {
    const esds = find(readBoxes(entry.data.subarray(28)), 'esds');
    const config = esds ? aacConfig(esds) : null;
    codecs = `mp4a.40.${config?.objectType ?? 2}`;
    // the sample entry's channel count is often just 2; AAC's own configuration says what it holds
    if (config && config.channels > 0) return { channels: config.channels, sampleRate, codecs };
  }
  return { channels, sampleRate, codecs };
}

/**
 * The AAC AudioSpecificConfig in an `esds`: the audio object type (2 = AAC-LC) and the channel
 * configuration (1 mono, 2 stereo, 6 for 5.1 is configuration 6; 0 when a program config says).
 */
function aacConfig(esds: Box): { objectType: number; channels: number } | null {
  const dsi = decoderSpecificInfo(esds);
  if (!dsi || dsi.length < 2) return null;
  const objectType = (dsi[0] ?? 0) >> 3;
  // 5 bits object type, 4 bits sampling frequency index, 4 bits channel configuration
  const channelConfig = (((dsi[1] ?? 0) & 0x7f) >> 3) & 0x0f;
  const channels = channelConfig === 7 ? 8 : channelConfig;
  return { objectType, channels };
}

/** The payload of the DecoderSpecificInfo (descriptor tag 5) inside an `esds`. */
function decoderSpecificInfo(esds: Box): Buffer | null {
  const body = fullBox(esds).body;
  // descriptors: tag, length (1-4 bytes of 7 bits), payload; DecoderSpecificInfo is tag 5
  for (let i = 0; i < body.length - 2; i++) {
    if (body[i] !== 0x05) continue;
    let j = i + 1;
    let len = 0;
    for (let k = 0; k < 4; k++) {
      const b = body[j++] ?? 0;
      len = (len << 7) | (b & 0x7f);
      if (!(b & 0x80)) break;
    }
    if (len >= 2 && j + len <= body.length) return body.subarray(j, j + len);
  }
  return null;
}

function trackDefaults(buf: Buffer, trackId: number): TrackInit['defaults'] {
  const mvex = findPath(buf, ['moov', 'mvex']);
  if (mvex) {
    for (const trex of children(buf, mvex, 'trex')) {
      const b = fullBox(trex).body;
      if (b.readUInt32BE(0) === trackId) {
        return { duration: b.readUInt32BE(8), size: b.readUInt32BE(12), flags: b.readUInt32BE(16) };
      }
    }
  }
  return { duration: 0, size: 0, flags: 0 };
}

function editMediaTime(buf: Buffer, trak: Box): number {
  const edts = find(readBoxes(buf, trak), 'edts');
  if (!edts) return 0;
  const elst = find(readBoxes(buf, edts), 'elst');
  if (!elst) return 0;
  const { version, body } = fullBox(elst);
  const count = body.readUInt32BE(0);
  for (let i = 0; i < count; i++) {
    const at = 4 + i * (version === 1 ? 20 : 12);
    const mediaTime = version === 1 ? Number(body.readBigInt64BE(at + 8)) : body.readInt32BE(at + 4);
    // an empty edit (media time −1) delays presentation; the first real edit says where it starts
    if (mediaTime >= 0) return mediaTime;
  }
  return 0;
}

/** Reads a media segment (`styp`? `sidx`? `moof` + `mdat`, once or more) of the track `init` describes. */
export function readFragment(buf: Buffer, init: Pick<TrackInit, 'defaults' | 'trackId'>): FragmentInfo {
  const top = readBoxes(buf);
  const moofs = top.filter((b) => b.type === 'moof');
  if (moofs.length === 0) throw new Error('the segment has no moof');
  let baseDecodeTime: number | null = null;
  let duration = 0;
  let samples = 0;
  let firstPresentationTime = 0;
  let earliest = Number.POSITIVE_INFINITY;
  let startsWithSync = false;
  let decode = 0;
  for (const moof of moofs) {
    for (const traf of children(buf, moof, 'traf')) {
      const fragment = readTrackFragment(buf, traf, init);
      if (!fragment) continue;
      if (fragment.decodeTime !== null) {
        if (baseDecodeTime === null) {
          baseDecodeTime = fragment.decodeTime;
          decode = fragment.decodeTime;
        }
      } else if (baseDecodeTime === null) throw new Error('a traf has no tfdt');
      for (const run of fragment.runs) {
        for (const sample of run.samples) {
          if (samples === 0) {
            firstPresentationTime = decode + sample.compositionOffset;
            startsWithSync = (sample.flags & SAMPLE_IS_NON_SYNC) === 0;
          }
          earliest = Math.min(earliest, decode + sample.compositionOffset);
          decode += sample.duration;
          duration += sample.duration;
          samples++;
        }
      }
    }
  }
  if (baseDecodeTime === null) throw new Error(`the segment holds no samples of track ${init.trackId}`);
  const styp = find(top, 'styp');
  return {
    baseDecodeTime,
    duration,
    samples,
    firstPresentationTime,
    earliestPresentationTime: Number.isFinite(earliest) ? earliest : baseDecodeTime,
    startsWithSync,
    brands: styp ? readStypBrands(styp) : null,
    sidx: readSidx(find(top, 'sidx')),
  };
}

/** One sample of a `trun`, its fields resolved against the fragment's and the track's defaults. */
export interface TrunSample {
  duration: number;
  size: number;
  flags: number;
  /** ticks, signed (a version 1 `trun`) */
  compositionOffset: number;
}

export interface TrackFragment {
  /** the `tfhd` base data offset, null without one (then offsets count from the `moof`) */
  baseDataOffset: number | null;
  /** the `tfdt` decode time, null without one */
  decodeTime: number | null;
  /** each `trun`: its data offset (0 without one) and its samples */
  runs: Array<{ dataOffset: number; samples: TrunSample[] }>;
}

/**
 * The part of a `traf` that belongs to the track `init` describes — its `tfhd` defaults, `tfdt`
 * and every `trun` sample — or null when the `traf` is another track's. The one reading of these
 * boxes, for the conformance check and the segmenter alike.
 */
export function readTrackFragment(
  buf: Buffer,
  traf: Box,
  init: Pick<TrackInit, 'defaults' | 'trackId'>,
): TrackFragment | null {
  const kids = readBoxes(buf, traf);
  const tfhd = find(kids, 'tfhd');
  if (!tfhd) throw new Error('a traf has no tfhd');
  const h = fullBox(tfhd);
  if (h.body.readUInt32BE(0) !== init.trackId) return null;
  const defaults = { ...init.defaults };
  let at = 4;
  let baseDataOffset: number | null = null;
  if (h.flags & 0x01) {
    baseDataOffset = Number(h.body.readBigUInt64BE(at));
    at += 8;
  }
  if (h.flags & 0x02) at += 4; // sample description index
  if (h.flags & 0x08) {
    defaults.duration = h.body.readUInt32BE(at);
    at += 4;
  }
  if (h.flags & 0x10) {
    defaults.size = h.body.readUInt32BE(at);
    at += 4;
  }
  if (h.flags & 0x20) defaults.flags = h.body.readUInt32BE(at);
  const tfdt = find(kids, 'tfdt');
  let decodeTime: number | null = null;
  if (tfdt) {
    const t = fullBox(tfdt);
    decodeTime = t.version === 1 ? Number(t.body.readBigUInt64BE(0)) : t.body.readUInt32BE(0);
  }
  const runs = kids.filter((b) => b.type === 'trun').map((trun) => readTrun(trun, defaults));
  return { baseDataOffset, decodeTime, runs };
}

function readTrun(trun: Box, defaults: TrackInit['defaults']): TrackFragment['runs'][number] {
  const r = fullBox(trun);
  const count = r.body.readUInt32BE(0);
  let p = 4;
  let dataOffset = 0;
  if (r.flags & 0x01) {
    dataOffset = r.body.readInt32BE(p);
    p += 4;
  }
  let firstFlags: number | null = null;
  if (r.flags & 0x04) {
    firstFlags = r.body.readUInt32BE(p);
    p += 4;
  }
  const samples: TrunSample[] = [];
  for (let i = 0; i < count; i++) {
    let duration = defaults.duration;
    let size = defaults.size;
    let flags = i === 0 && firstFlags !== null ? firstFlags : defaults.flags;
    let compositionOffset = 0;
    if (r.flags & 0x100) {
      duration = r.body.readUInt32BE(p);
      p += 4;
    }
    if (r.flags & 0x200) {
      size = r.body.readUInt32BE(p);
      p += 4;
    }
    if (r.flags & 0x400) {
      const own = r.body.readUInt32BE(p);
      p += 4;
      if (!(i === 0 && firstFlags !== null)) flags = own;
    }
    if (r.flags & 0x800) {
      compositionOffset = r.version === 0 ? r.body.readUInt32BE(p) : r.body.readInt32BE(p);
      p += 4;
    }
    samples.push({ duration, size, flags, compositionOffset });
  }
  return { dataOffset, samples };
}

function readStypBrands(styp: Box): string[] {
  const out = [styp.data.toString('latin1', 0, 4)];
  for (let i = 8; i + 4 <= styp.data.length; i += 4) out.push(styp.data.toString('latin1', i, i + 4));
  return out;
}

function readSidx(sidx: Box | null): FragmentInfo['sidx'] {
  if (!sidx) return null;
  const { version, body } = fullBox(sidx);
  const ept = version === 0 ? body.readUInt32BE(8) : Number(body.readBigUInt64BE(8));
  const at = version === 0 ? 16 : 24;
  // reserved (2), reference count (2), then per reference: size, duration, SAP word
  const duration = body.readUInt32BE(at + 4 + 4);
  const sap = body.readUInt32BE(at + 4 + 8);
  return {
    earliestPresentationTime: ept,
    duration,
    startsWithSap: (sap & 0x80000000) !== 0,
    sapType: (sap >>> 28) & 0x7,
  };
}
