import { HttpError, REGION_HEADER, type ServiceRequest } from '../../platform/http/router.js';
import { type ServiceClient, UpstreamError } from '../../platform/service-client.js';

/**
 * The catalog's messages: a published title as the catalog serves it, its licence check, how
 * title names are compared and turned into ids, and how another service asks for a title.
 */

/** What ingest records about a title when it publishes it: what a player needs to find. */
export interface PublishedMedia {
  durationSeconds: number;
  /** origin keys of the manifests offering every rendition, e.g. `titles/<id>/master.m3u8` */
  manifests: { hls: string; dash: string };
  /** by rung (`480p`): the manifests offering only the renditions up to it */
  cappedManifests: Record<string, { hls: string; dash: string }>;
  renditions: Array<{ name: string; width: number; height: number; bitrateKbps: number }>;
}

/**
 * Who sees a title: `public` everyone (lists, search), `unlisted` whoever has its id or a link
 * (never listed), `private` only its owner (and the operator).
 */
export const VISIBILITIES = ['public', 'unlisted', 'private'] as const;
export type Visibility = (typeof VISIBILITIES)[number];

/** What the catalog serves about a ready title (cached in EVCache as it is). */
export interface CatalogTitle extends PublishedMedia {
  id: string;
  title: string;
  year: number | null;
  genres: string[];
  /** the regions it is licensed in (ISO codes; `*` = everywhere) */
  regions: string[];
  publishedAt: string | null;
  /** the viewer who uploaded it; null for the operator's titles (absent in entries cached before uploads) */
  owner?: string | null;
  visibility?: Visibility;
}

/** Whether `userId` may see the title at all (a private title is its owner's alone). */
export function mayView(t: Pick<CatalogTitle, 'owner' | 'visibility'>, userId: string | null): boolean {
  return (t.visibility ?? 'public') !== 'private' || (userId !== null && t.owner === userId);
}

export function isLicensed(t: Pick<CatalogTitle, 'regions'>, region: string | null | undefined): boolean {
  if (!region) return true;
  return t.regions.includes('*') || t.regions.includes(region.toUpperCase());
}

/** A title id: a slug of the title and a short random suffix, safe in object keys and URLs. */
export function titleId(title: string, random: string): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return `${slug || 'title'}-${random}`;
}

/** Longest title name, in characters (a title is also a path segment of the API). */
export const MAX_TITLE_CHARS = 200;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** Invisible marks that only steer direction or break words: two names differing by them look alike. */
const INVISIBLE = /[\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * A title name as given, or why it cannot be one: any script and emoji are fine; surrounding
 * spaces are dropped; empty, only spaces, control characters, broken UTF-16 or more than
 * MAX_TITLE_CHARS characters are not.
 */
export function checkTitleName(raw: string): { ok: true; name: string } | { ok: false; problem: string } {
  const name = raw.trim();
  if (name.replace(INVISIBLE, '').trim() === '')
    return { ok: false, problem: 'a title needs at least one visible character' };
  if (CONTROL.test(name))
    return { ok: false, problem: 'a title cannot hold control characters (tabs, line breaks)' };
  if (LONE_SURROGATE.test(name)) return { ok: false, problem: 'the title is not valid Unicode' };
  const chars = [...name].length;
  if (chars > MAX_TITLE_CHARS)
    return {
      ok: false,
      problem: `a title has at most ${MAX_TITLE_CHARS} characters (this one has ${chars})`,
    };
  return { ok: true, name };
}

/** How titles are compared for "already exists": case, accents, spacing and invisible marks do not count. */
export function titleKey(title: string): string {
  return title
    .replace(INVISIBLE, '')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The title a request names (`:title`, an id or a name), as the catalog shows it to the caller's
 * user and region (the gateway's headers): 404 `unknown-title` when there is none, 451 `not-licensed` when `playable` is
 * asked and it is not licensed there, 503 when the catalog cannot answer.
 */
export async function titleForRequest(
  services: ServiceClient,
  req: ServiceRequest,
  opts: { playable: boolean },
): Promise<CatalogTitle & { licensed: boolean }> {
  const name = req.params.title as string;
  const region = (req.headers[REGION_HEADER] as string | undefined) ?? null;
  let answer: { status: number; body: CatalogTitle & { licensed: boolean } };
  try {
    answer = await services.call('catalog', {
      path: `/v1/titles/${encodeURIComponent(name)}`,
      trace: req.trace,
      userId: req.userId,
      region,
    });
  } catch (e) {
    throw new HttpError(
      503,
      'catalog-unavailable',
      `the catalog could not say which title this is (${e instanceof UpstreamError ? e.message : 'no answer'})`,
    );
  }
  if (answer.status === 404) throw new HttpError(404, 'unknown-title', `no title ${JSON.stringify(name)}`);
  if (answer.status !== 200)
    throw new HttpError(502, 'catalog-refused', `the catalog answered ${answer.status}`);
  if (opts.playable && !answer.body.licensed) {
    throw new HttpError(
      451,
      'not-licensed',
      `${JSON.stringify(answer.body.title)} is not licensed in your region`,
    );
  }
  return answer.body;
}
