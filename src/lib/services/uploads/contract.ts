import { basename, extname } from 'node:path';
import { checkTitleName, VISIBILITIES, type Visibility } from '../catalog/contract.js';

/**
 * The uploads service's messages: what a viewer's tus upload says about the title it will become
 * (its `Upload-Metadata`), the quota it must fit, and how an upload is reported. Pure.
 */

/** What the uploads service enforces per user (the cluster file's `services.uploads`). */
export interface UploadQuota {
  /** largest single upload */
  maxBytes: number;
  /** uploads started in any 24 hours (refused ones do not count) */
  perDay: number;
  /** bytes of the uploads started in any 24 hours */
  bytesPerDay: number;
}

/** The title an upload asks to become, as the viewer described it in the upload's metadata. */
export interface UploadRequest {
  title: string;
  /** the file's name on the viewer's machine, for its extension and for messages */
  filename: string;
  visibility: Visibility;
  genres: string[];
  year: number | null;
  bytes: number;
}

/** A refusal before anything is stored: the status, a stable code and what to do. */
export interface UploadRefusal {
  status: number;
  code: string;
  message: string;
}

/**
 * tus `Upload-Metadata`: comma-separated `key base64(value)` pairs (a key alone means an empty
 * value). Null when the header is malformed.
 */
export function parseTusMetadata(header: string | undefined): Record<string, string> | null {
  const out: Record<string, string> = {};
  if (header === undefined || header.trim() === '') return out;
  for (const pair of header.split(',')) {
    const [key, value, ...rest] = pair.trim().split(' ');
    if (!key || rest.length > 0 || !/^[\x21-\x7e]+$/.test(key) || key in out) return null;
    if (value !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return null;
    const text = Buffer.from(value ?? '', 'base64').toString('utf8');
    // a value that was not UTF-8 comes back with replacement characters
    if (text.includes('\ufffd')) return null;
    out[key] = text;
  }
  return out;
}

/** The title a file name suggests when none is given: its name without the extension. */
export function titleFromFilename(filename: string): string {
  const name = basename(filename);
  const ext = extname(name);
  return (ext ? name.slice(0, -ext.length) : name).trim();
}

/**
 * What a new upload asks for, checked: a declared length within the size limit (no deferred
 * length: the quota is decided up front), a title name (given, or the file's name), a known
 * visibility (default public), genres and a plausible year.
 */
export function uploadRequest(
  metadata: Record<string, string> | null,
  uploadLength: string | undefined,
  maxBytes: number,
): UploadRequest | UploadRefusal {
  if (metadata === null)
    return refusal(400, 'invalid-metadata', 'Upload-Metadata must be key base64-value pairs, UTF-8');
  if (uploadLength === undefined || !/^[0-9]{1,15}$/.test(uploadLength)) {
    return refusal(
      400,
      'length-required',
      'say how big the upload is (Upload-Length); deferred lengths are not taken',
    );
  }
  const bytes = Number(uploadLength);
  if (bytes === 0) return refusal(400, 'empty-upload', 'the file is empty (0 bytes)');
  if (bytes > maxBytes) {
    return refusal(
      413,
      'upload-too-large',
      `the file is ${bytes} bytes; an upload may be at most ${maxBytes} bytes (${mib(maxBytes)})`,
    );
  }
  const filename = (metadata.filename ?? '').trim();
  if ([...filename].length > 255 || /[\p{Cc}/\\]/u.test(filename))
    return refusal(400, 'invalid-metadata', 'filename: a file name without slashes or control characters');
  const name = checkTitleName(metadata.title ?? titleFromFilename(filename));
  if (!name.ok) return refusal(400, 'invalid-title', `title: ${name.problem}`);
  const visibility = (metadata.visibility ?? 'public').trim().toLowerCase();
  if (!(VISIBILITIES as readonly string[]).includes(visibility))
    return refusal(400, 'invalid-metadata', `visibility: one of ${VISIBILITIES.join(', ')}`);
  const genres = [
    ...new Set(
      (metadata.genres ?? '')
        .split(',')
        .map((g) => g.trim().toLowerCase())
        .filter(Boolean),
    ),
  ];
  if (genres.length > 8 || genres.some((g) => [...g].length > 32 || /\p{Cc}/u.test(g)))
    return refusal(400, 'invalid-metadata', 'genres: at most 8, comma-separated, 32 characters each');
  let year: number | null = null;
  if (metadata.year !== undefined && metadata.year.trim() !== '') {
    year = Number(metadata.year);
    if (!Number.isInteger(year) || year < 1870 || year > 2200)
      return refusal(400, 'invalid-metadata', 'year: a year such as 2024');
  }
  return {
    title: name.name,
    filename: filename || 'upload',
    visibility: visibility as Visibility,
    genres,
    year,
    bytes,
  };
}

export function isRefusal<T extends object>(x: T | UploadRefusal): x is UploadRefusal {
  return 'status' in x && 'code' in x;
}

/** What a user has used of the quota in the last 24 hours. */
export interface QuotaUse {
  count: number;
  bytes: number;
}

/** Why one more upload of `bytes` does not fit the quota, or null when it does. */
export function quotaProblem(used: QuotaUse, bytes: number, quota: UploadQuota): UploadRefusal | null {
  if (used.count >= quota.perDay) {
    return refusal(
      429,
      'upload-quota',
      `you started ${used.count} uploads in the last 24 hours; the limit is ${quota.perDay}`,
    );
  }
  if (used.bytes + bytes > quota.bytesPerDay) {
    return refusal(
      429,
      'upload-quota',
      `this upload would bring your last 24 hours to ${mib(used.bytes + bytes)}; the limit is ${mib(quota.bytesPerDay)}`,
    );
  }
  return null;
}

/**
 * Where an upload is: `receiving` (parts arriving), `received` (all bytes stored, being checked),
 * `accepted` (a title now, going through ingest), `refused` (not a video, or its title taken:
 * nothing of it is kept), `cancelled` (terminated by the viewer).
 */
export type UploadState = 'receiving' | 'received' | 'accepted' | 'refused' | 'cancelled';

/** An upload as the API reports it. */
export interface UploadView {
  id: string;
  title: string;
  filename: string;
  visibility: Visibility;
  bytes: number;
  state: UploadState;
  titleId: string | null;
  /** where that title is in ingest (`uploading` … `ready`, `failed`); null before it exists or once deleted */
  titleStatus: string | null;
  error: string | null;
  createdAt: string;
}

function refusal(status: number, code: string, message: string): UploadRefusal {
  return { status, code, message };
}

function mib(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(bytes < 10 * 1024 ** 2 ? 1 : 0)} MiB`;
}
