/**
 * The bandwidth profile applied to real downloads. Virtual (media) time runs `speed`× faster than
 * the wall clock. A download of `bytes` starting at virtual time `t` "takes" the longer of what it
 * really took (scaled to virtual time) and what the profile allows from `t` on; the client then
 * waits the difference in wall time. Pure.
 */
import { FlixError } from '../../core/errors.js';
import { type BandwidthProfile, downloadSeconds } from '../abr/bandwidth.js';

export interface ShapedDownload {
  /** Virtual seconds the download counts as taking (Infinity: the link is down for good). */
  virtualSeconds: number;
  /** Wall ms still to wait after the real download finished (0 when the real one was slower). */
  waitMs: number;
}

export function shapeDownload(
  profile: BandwidthProfile,
  download: { bytes: number; startVirtualSeconds: number; realWallMs: number },
  speed: number,
): ShapedDownload {
  if (!(speed > 0)) throw new RangeError(`speed must be > 0, not ${speed}`);
  const realVirtual = (download.realWallMs / 1000) * speed;
  const shaped = downloadSeconds(profile, download.bytes, download.startVirtualSeconds);
  if (!Number.isFinite(shaped)) return { virtualSeconds: Number.POSITIVE_INFINITY, waitMs: 0 };
  const virtualSeconds = Math.max(realVirtual, shaped);
  return { virtualSeconds, waitMs: ((virtualSeconds - realVirtual) / speed) * 1000 };
}

/**
 * Parses `--duration`: `30s`, `2m`, `1m30s`, `1h`, or plain seconds (`45`, `12.5`). Throws a usage
 * FlixError naming the accepted forms.
 */
export function parseMediaDuration(text: string): number {
  const t = text.trim().toLowerCase();
  const plain = /^\d+(?:\.\d+)?$/.test(t) ? Number(t) : undefined;
  const m = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(t);
  const seconds =
    plain ??
    (m && t !== '' ? Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0) : Number.NaN);
  if (!(seconds > 0)) {
    throw new FlixError(`"${text}" is not a duration to play`, {
      code: 'usage',
      nextStep: 'write it like 30s, 2m, 1m30s or 45 (seconds), above 0',
    });
  }
  return seconds;
}
