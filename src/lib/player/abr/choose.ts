/**
 * Which rendition to fetch next: a throughput rule guarded by the buffer (a simple hybrid, in the
 * spirit of dash.js's DYNAMIC rule and ExoPlayer's AdaptiveTrackSelection). Pure: the current
 * rendition comes in, the next one goes out.
 */

/** Tuning of the rendition choice. */
export interface AbrOptions {
  /** Switch up to a rendition only if throughput ≥ its bitrate × this. Default 1.4. */
  upSafetyFactor: number;
  /** Switching down, take the best rendition with bitrate × this ≤ throughput. Default 1.15. */
  downSafetyFactor: number;
  /** Never switch up with less buffer than this, seconds. Default 10. */
  upBufferSeconds: number;
  /** Below this buffer, step down one rendition unless throughput clearly sustains this one. Default 6. */
  lowBufferSeconds: number;
}

/** Default AbrOptions. */
export const defaultAbrOptions: AbrOptions = {
  upSafetyFactor: 1.4,
  downSafetyFactor: 1.15,
  upBufferSeconds: 10,
  lowBufferSeconds: 6,
};

/** What the choice depends on. */
export interface AbrInput {
  /** Bitrate of each rendition, bits/s, lowest first. */
  bitratesBps: readonly number[];
  /** Index of the rendition fetched last; undefined before the first segment. */
  current: number | undefined;
  /** Estimated throughput, bits/s; undefined while there is no estimate yet. */
  throughputBps: number | undefined;
  /** Media buffered ahead of the playhead, seconds. */
  bufferSeconds: number;
}

/** Why a rendition was chosen. */
export type AbrReason = 'start' | 'hold' | 'throughput-rise' | 'throughput-drop' | 'low-buffer';

/** The rendition to fetch next (an index into bitratesBps) and why. */
export interface AbrDecision {
  index: number;
  reason: AbrReason;
}

/** Resolves and checks AbrOptions. */
export function abrOptions(options: Partial<AbrOptions> = {}): AbrOptions {
  const o = { ...defaultAbrOptions, ...options };
  if (!(o.upSafetyFactor >= 1 && o.downSafetyFactor >= 1)) throw new RangeError('safety factors must be ≥ 1');
  if (!(o.lowBufferSeconds >= 0 && o.upBufferSeconds >= o.lowBufferSeconds)) {
    throw new RangeError('need 0 ≤ lowBufferSeconds ≤ upBufferSeconds');
  }
  return o;
}

/** The highest rendition whose bitrate × factor fits in the throughput; the lowest if none. */
export function highestFitting(
  bitratesBps: readonly number[],
  throughputBps: number,
  factor: number,
): number {
  let index = 0;
  bitratesBps.forEach((bitrate, i) => {
    if (bitrate * factor <= throughputBps) index = i;
  });
  return index;
}

/**
 * Picks the next rendition:
 * - start: the lowest, or with an estimate already, the best that fits it by downSafetyFactor;
 * - throughput below the current bitrate: at once down to the best that fits (whatever the buffer);
 * - buffer below lowBufferSeconds and throughput not ≥ current × upSafetyFactor: one step down;
 * - throughput ≥ a higher bitrate × upSafetyFactor and buffer ≥ upBufferSeconds: up to the
 *   highest such rendition (never with a low buffer, however fast the link);
 * - otherwise hold.
 */
export function chooseRendition(input: AbrInput, options: Partial<AbrOptions> = {}): AbrDecision {
  const o = abrOptions(options);
  const { bitratesBps: rates, current, throughputBps: bw, bufferSeconds } = input;
  if (rates.length === 0) throw new RangeError('no renditions to choose from');
  for (let i = 1; i < rates.length; i++) {
    if ((rates[i] ?? 0) <= (rates[i - 1] ?? 0)) throw new RangeError('bitrates must be in increasing order');
  }
  if (current === undefined) {
    return { index: bw === undefined ? 0 : highestFitting(rates, bw, o.downSafetyFactor), reason: 'start' };
  }
  const now = Math.min(Math.max(0, current), rates.length - 1);
  const bitrate = rates[now] ?? 0;
  if (bw !== undefined && bw < bitrate && now > 0) {
    return {
      index: Math.min(now - 1, highestFitting(rates, bw, o.downSafetyFactor)),
      reason: 'throughput-drop',
    };
  }
  const comfortable = bw !== undefined && bw >= bitrate * o.upSafetyFactor;
  if (bufferSeconds < o.lowBufferSeconds && !comfortable && now > 0)
    return { index: now - 1, reason: 'low-buffer' };
  if (bw !== undefined && bufferSeconds >= o.upBufferSeconds) {
    const up = highestFitting(rates, bw, o.upSafetyFactor);
    if (up > now) return { index: up, reason: 'throughput-rise' };
  }
  return { index: now, reason: 'hold' };
}
