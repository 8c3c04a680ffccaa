/**
 * Helpers for checking published manifests in the origin. Which files a playlist or an MPD names
 * comes from the media library (filesInHlsPlaylist, filesInMpd); here: resolving those names to
 * object keys, and a media playlist's duration.
 */
import { posix } from 'node:path';
import { hlsSegments } from '../media/package.js';

/** An object key for a name a manifest uses, relative to the manifest's own key. */
export function resolveRef(manifestPath: string, ref: string): string {
  return posix.normalize(posix.join(posix.dirname(manifestPath), ref));
}

/** Duration of a media playlist: the sum of its #EXTINF durations. */
export function hlsDuration(text: string): number {
  return hlsSegments(text).reduce((total, s) => total + s.duration, 0);
}
