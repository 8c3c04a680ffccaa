/**
 * The catalog's messages: a published title as the catalog serves it, its licence check, and how
 * title names are compared and turned into ids.
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

/** What the catalog serves about a ready title (cached in EVCache as it is). */
export interface CatalogTitle extends PublishedMedia {
  id: string;
  title: string;
  year: number | null;
  genres: string[];
  /** the regions it is licensed in (ISO codes; `*` = everywhere) */
  regions: string[];
  publishedAt: string | null;
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

/** How titles are compared for "already exists": case, accents and spacing do not count. */
export function titleKey(title: string): string {
  return title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}
