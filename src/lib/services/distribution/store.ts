import type { RowDataPacket } from 'mysql2/promise';
import { ASCII, convertToUtf8mb4, type Db, fitsAscii, TEXT_COLLATION } from '../../engines/mysql/client.js';
import { playsByZone } from '../catalog/store.js';
import type { ObjectRow } from '../orchestrator/store.js';
import type { PlacementTitle, Tier } from './placement.js';

/**
 * The distribution service's record: each title's tier and the edges it was placed on at the last
 * placement (what `flix titles show` reports). What an edge actually holds is read from its disk.
 */
export async function ensureDistributionSchema(db: Db): Promise<void> {
  await db.query(`CREATE TABLE IF NOT EXISTS title_tiers (
    title_id VARCHAR(64) ${ASCII} PRIMARY KEY,
    tier VARCHAR(8) ${ASCII} NOT NULL,
    edges JSON NOT NULL,
    decided_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
  ) DEFAULT CHARACTER SET utf8mb4 COLLATE ${TEXT_COLLATION}`);
  await convertToUtf8mb4(db, 'title_tiers', { title_id: ASCII, tier: ASCII });
}

export interface TierRow {
  titleId: string;
  tier: Tier;
  /** the edges the title was placed on */
  edges: string[];
  decidedAt: string;
}

export interface Catalogue {
  /** every ready title as the placement sees it: size, licence, age and plays per zone */
  titles: PlacementTitle[];
  /** the published objects of each of them */
  objects: Map<string, ObjectRow[]>;
}

/** The ready titles and their objects, in two queries (a placement reads the whole catalogue). */
export async function readCatalogue(db: Db): Promise<Catalogue> {
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT id, regions, published_at FROM titles WHERE status = 'ready'`,
  );
  const [objectRows] = await db.query<RowDataPacket[]>(
    `SELECT o.title_id, o.object_key, o.kind, o.md5, o.bytes FROM title_objects o
       JOIN titles t ON t.id = o.title_id WHERE t.status = 'ready' ORDER BY o.title_id, o.object_key`,
  );
  const objects = new Map<string, ObjectRow[]>();
  for (const r of objectRows) {
    const list = objects.get(r.title_id) ?? [];
    list.push({ key: r.object_key, kind: r.kind, md5: r.md5, bytes: Number(r.bytes) });
    objects.set(r.title_id, list);
  }
  const plays = await playsByZone(db);
  const titles = rows
    .filter((r) => objects.has(r.id))
    .map((r) => ({
      id: r.id as string,
      bytes: (objects.get(r.id) ?? []).reduce((a, o) => a + o.bytes, 0),
      regions: typeof r.regions === 'string' ? JSON.parse(r.regions) : (r.regions as string[]),
      publishedAt: r.published_at ? new Date(r.published_at).getTime() : 0,
      plays: plays.get(r.id as string) ?? {},
    }));
  return { titles, objects };
}

export async function saveTiers(db: Db, tiers: Record<string, Tier>, placedOn: Map<string, string[]>) {
  await ensureDistributionSchema(db);
  for (const [titleId, tier] of Object.entries(tiers)) {
    await db.query(
      `INSERT INTO title_tiers (title_id, tier, edges) VALUES (?, ?, ?)
       ON DUPLICATE KEY UPDATE tier = VALUES(tier), edges = VALUES(edges)`,
      [titleId, tier, JSON.stringify(placedOn.get(titleId) ?? [])],
    );
  }
}

export async function getTier(db: Db, titleId: string): Promise<TierRow | null> {
  if (!fitsAscii(titleId)) return null;
  await ensureDistributionSchema(db);
  const [rows] = await db.query<RowDataPacket[]>(
    'SELECT title_id, tier, edges, decided_at FROM title_tiers WHERE title_id = ?',
    [titleId],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    titleId: r.title_id,
    tier: r.tier,
    edges: typeof r.edges === 'string' ? JSON.parse(r.edges) : r.edges,
    decidedAt: new Date(r.decided_at).toISOString(),
  };
}
