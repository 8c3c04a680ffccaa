/**
 * Which titles each edge should hold, in the manner of Open Connect's proactive fill: every edge
 * has a byte budget for titles placed ahead of viewers, and fills it with the titles most likely
 * to be played where it stands. Pure: the caller brings the catalogue, the play counts and the
 * edges.
 *
 * The policy, in order:
 *  1. an edge holds only titles licensed in a region its zone serves;
 *  2. new titles (published within `newTitleMs`) come first, newest first: a release is what
 *     viewers come for, before it has any plays to predict from;
 *  3. then by predicted demand in the edge's zone: the plays seen in that zone plus the plays
 *     elsewhere divided by the number of zones (popularity elsewhere predicts, more weakly);
 *  4. whole titles, taken while they fit the budget (a title too big for what is left is skipped
 *     and smaller ones still get their chance).
 * A title's tier follows from where it landed: `hot` on every edge it is licensed for, `warm` on
 * some, `origin` on none — served from the origin through the edges without being cached, so a
 * one-off play of the long tail pushes nothing wanted out.
 */

export interface PlacementTitle {
  id: string;
  /** bytes of every published object */
  bytes: number;
  /** ISO country codes the title is licensed in; `*` everywhere */
  regions: readonly string[];
  publishedAt: number;
  /** plays per zone */
  plays: Readonly<Record<string, number>>;
}

export interface PlacementEdge {
  name: string;
  zone: string;
  budgetBytes: number;
  /** the regions the edge's zone serves; `*` every region */
  regions: readonly string[];
}

export type Tier = 'hot' | 'warm' | 'origin';

export interface EdgePlacement {
  edge: string;
  zone: string;
  budgetBytes: number;
  /** the titles to hold, in fill order */
  titles: string[];
  bytes: number;
  /** share of the zone's predicted plays that land on titles this edge holds; null with no plays */
  predictedHitRatio: number | null;
}

export interface Placement {
  edges: EdgePlacement[];
  tiers: Record<string, Tier>;
}

export interface PlacementOptions {
  now: number;
  /** titles published this recently are placed before any other */
  newTitleMs: number;
  /** zones of the cluster (for the weight of plays elsewhere) */
  zones: readonly string[];
}

export function isLicensedFor(title: Pick<PlacementTitle, 'regions'>, edge: Pick<PlacementEdge, 'regions'>) {
  if (title.regions.includes('*') || edge.regions.includes('*')) return true;
  return title.regions.some((r) => edge.regions.includes(r));
}

/** Predicted plays of a title in a zone (rule 3). */
export function demand(title: Pick<PlacementTitle, 'plays'>, zone: string, zones: number): number {
  let here = 0;
  let elsewhere = 0;
  for (const [z, n] of Object.entries(title.plays)) {
    if (z === zone) here += n;
    else elsewhere += n;
  }
  return here + elsewhere / Math.max(1, zones);
}

export function placeTitles(
  titles: readonly PlacementTitle[],
  edges: readonly PlacementEdge[],
  opts: PlacementOptions,
): Placement {
  const zones = Math.max(1, opts.zones.length);
  const isNew = (t: PlacementTitle) => opts.now - t.publishedAt < opts.newTitleMs;
  const placedOn = new Map<string, number>(titles.map((t) => [t.id, 0]));
  const licensedOn = new Map<string, number>(titles.map((t) => [t.id, 0]));
  const out: EdgePlacement[] = [];
  for (const edge of edges) {
    const candidates = titles
      .filter((t) => isLicensedFor(t, edge))
      .map((t) => ({ t, fresh: isNew(t), d: demand(t, edge.zone, zones) }));
    candidates.sort(
      (a, b) =>
        Number(b.fresh) - Number(a.fresh) ||
        (a.fresh && b.fresh ? b.t.publishedAt - a.t.publishedAt : 0) ||
        b.d - a.d ||
        b.t.publishedAt - a.t.publishedAt ||
        (a.t.id < b.t.id ? -1 : a.t.id > b.t.id ? 1 : 0),
    );
    let bytes = 0;
    let heldDemand = 0;
    let totalDemand = 0;
    const held: string[] = [];
    for (const c of candidates) {
      licensedOn.set(c.t.id, (licensedOn.get(c.t.id) ?? 0) + 1);
      totalDemand += c.d;
      if (bytes + c.t.bytes > edge.budgetBytes) continue;
      bytes += c.t.bytes;
      heldDemand += c.d;
      held.push(c.t.id);
      placedOn.set(c.t.id, (placedOn.get(c.t.id) ?? 0) + 1);
    }
    out.push({
      edge: edge.name,
      zone: edge.zone,
      budgetBytes: edge.budgetBytes,
      titles: held,
      bytes,
      predictedHitRatio: totalDemand > 0 ? round(heldDemand / totalDemand) : null,
    });
  }
  const tiers: Record<string, Tier> = {};
  for (const t of titles) {
    const placed = placedOn.get(t.id) ?? 0;
    const licensed = licensedOn.get(t.id) ?? 0;
    tiers[t.id] = placed === 0 ? 'origin' : placed === licensed ? 'hot' : 'warm';
  }
  return { edges: out, tiers };
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/**
 * The order a title's objects are pushed in: manifests and init segments first, then the
 * renditions from the lowest up (audio before video of the same rung), so a fill that is cut
 * short, or still under way when the first viewer comes, has the start of every stream and the
 * rungs a player starts on.
 */
export function fillOrder<T extends { key: string }>(objects: readonly T[]): T[] {
  const rank = (key: string): [number, number] => {
    if (/\.(m3u8|mpd)$/.test(key)) return [0, 0];
    if (/init\.mp4$/.test(key) || /\/init[^/]*$/.test(key)) return [1, 0];
    const height = /\/(\d{3,4})p\//.exec(key);
    if (height) return [3, Number(height[1])];
    if (/\/audio\//.test(key)) return [2, 0];
    return [4, 0];
  };
  return [...objects].sort((a, b) => {
    const [ga, ha] = rank(a.key);
    const [gb, hb] = rank(b.key);
    return ga - gb || ha - hb || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  });
}

/** A `window` setting: "02:00" for 2 a.m. local time, open for `hours`. */
export interface FillWindow {
  start: string;
  hours: number;
}

/**
 * The start of the window occurrence `now` falls in (local time), or null when `now` is outside
 * every occurrence. A window may run past midnight.
 */
export function windowOpenedAt(now: Date, window: FillWindow): Date | null {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(window.start);
  if (!m) throw new Error(`window start ${JSON.stringify(window.start)} is not HH:MM`);
  for (const daysBack of [0, 1]) {
    const opened = new Date(now);
    opened.setDate(opened.getDate() - daysBack);
    opened.setHours(Number(m[1]), Number(m[2]), 0, 0);
    const ms = now.getTime() - opened.getTime();
    if (ms >= 0 && ms < window.hours * 3_600_000) return opened;
  }
  return null;
}

/** Whether the scheduled fill is due: inside a window occurrence it has not run in yet. */
export function scheduledRunDue(now: Date, window: FillWindow, lastRunAt: number | null): boolean {
  const opened = windowOpenedAt(now, window);
  return opened !== null && (lastRunAt === null || lastRunAt < opened.getTime());
}
