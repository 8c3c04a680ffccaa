import type { RowDataPacket } from 'mysql2/promise';
import {
  ASCII,
  convertToUtf8mb4,
  type Db,
  EXACT_TEXT,
  fitsAscii,
  jsonColumn as parse,
  TEXT_COLLATION,
} from '../../engines/mysql/client.js';
import type { PublishedMedia, Visibility } from './contract.js';

/**
 * The titles table: one row per title, the source of truth for its status (idempotent; run by
 * every writer). Names are utf8mb4 in any script; ids and keys are ASCII.
 */
const titleCharsets = {
  id: ASCII,
  title_key: EXACT_TEXT,
  status: ASCII,
  source_key: ASCII,
  source_etag: ASCII,
  upload_id: ASCII,
  owner_id: ASCII,
  visibility: ASCII,
};

const schema = [
  `CREATE TABLE IF NOT EXISTS titles (
    id VARCHAR(64) ${ASCII} PRIMARY KEY,
    title VARCHAR(255) NOT NULL,
    title_key VARCHAR(255) ${EXACT_TEXT} NOT NULL,
    year INT NULL,
    genres JSON NOT NULL,
    regions JSON NOT NULL,
    status VARCHAR(16) ${ASCII} NOT NULL,
    source_file VARCHAR(2048) NOT NULL,
    source_key VARCHAR(1024) ${ASCII} NOT NULL,
    source_bytes BIGINT NOT NULL,
    source_etag VARCHAR(64) ${ASCII} NULL,
    upload_id VARCHAR(512) ${ASCII} NULL,
    media JSON NOT NULL,
    error TEXT NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    published_at DATETIME(3) NULL,
    published JSON NULL,
    UNIQUE KEY titles_title_key (title_key)
  ) DEFAULT CHARACTER SET utf8mb4 COLLATE ${TEXT_COLLATION}`,
  // data dirs made before the published media were kept with the title
  'ALTER TABLE titles ADD COLUMN IF NOT EXISTS published JSON NULL',
  // viewers' uploads belong to their uploader (operator-ingested titles to nobody) and are shown
  // as the uploader chose
  `ALTER TABLE titles ADD COLUMN IF NOT EXISTS owner_id VARCHAR(64) ${ASCII} NULL`,
  `ALTER TABLE titles ADD COLUMN IF NOT EXISTS visibility VARCHAR(8) ${ASCII} NOT NULL DEFAULT 'public'`,
];

export async function ensureCatalogSchema(db: Db): Promise<void> {
  for (const sql of schema) await db.query(sql);
  await convertToUtf8mb4(db, 'titles', titleCharsets);
}

/** Makes a title ready: visible in the catalog with what a player needs to find. */
export async function publishTitle(db: Db, id: string, media: PublishedMedia): Promise<void> {
  await db.query(
    `UPDATE titles SET status = 'ready', error = NULL, published = ?, published_at = CURRENT_TIMESTAMP(3) WHERE id = ?`,
    [JSON.stringify(media), id],
  );
}

export type TitleStatus = 'uploading' | 'uploaded' | 'processing' | 'ready' | 'failed' | 'deleting';

export interface TitleRow {
  id: string;
  title: string;
  year: number | null;
  genres: string[];
  regions: string[];
  status: TitleStatus;
  sourceFile: string;
  sourceKey: string;
  sourceBytes: number;
  sourceEtag: string | null;
  uploadId: string | null;
  media: Record<string, unknown>;
  error: string | null;
  createdAt: Date;
  updatedAt: Date;
  publishedAt: Date | null;
  /** the viewer who uploaded it through the API; null for the operator's titles */
  owner: string | null;
  visibility: Visibility;
}

function toTitle(r: RowDataPacket): TitleRow {
  return {
    id: r.id,
    title: r.title,
    year: r.year,
    genres: parse(r.genres),
    regions: parse(r.regions),
    status: r.status,
    sourceFile: r.source_file,
    sourceKey: r.source_key,
    sourceBytes: Number(r.source_bytes),
    sourceEtag: r.source_etag,
    uploadId: r.upload_id,
    media: parse(r.media),
    error: r.error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    publishedAt: r.published_at,
    owner: r.owner_id ?? null,
    visibility: r.visibility ?? 'public',
  };
}

export async function insertTitle(
  db: Db,
  t: Pick<
    TitleRow,
    'id' | 'title' | 'year' | 'genres' | 'regions' | 'sourceFile' | 'sourceKey' | 'sourceBytes' | 'media'
  > & {
    titleKey: string;
    owner?: string | null;
    visibility?: Visibility;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO titles (id, title, title_key, year, genres, regions, status, source_file, source_key, source_bytes, media, owner_id, visibility)
     VALUES (?, ?, ?, ?, ?, ?, 'uploading', ?, ?, ?, ?, ?, ?)`,
    [
      t.id,
      t.title,
      t.titleKey,
      t.year,
      JSON.stringify(t.genres),
      JSON.stringify(t.regions),
      t.sourceFile,
      t.sourceKey,
      t.sourceBytes,
      JSON.stringify(t.media),
      t.owner ?? null,
      t.visibility ?? 'public',
    ],
  );
}

export async function findTitleByKey(db: Db, key: string): Promise<TitleRow | null> {
  const [rows] = await db.query<RowDataPacket[]>('SELECT * FROM titles WHERE title_key = ?', [key]);
  return rows[0] ? toTitle(rows[0]) : null;
}

export async function getTitle(db: Db, id: string): Promise<TitleRow | null> {
  if (!fitsAscii(id)) return null; // ids are ASCII: this one names no title
  const [rows] = await db.query<RowDataPacket[]>('SELECT * FROM titles WHERE id = ?', [id]);
  return rows[0] ? toTitle(rows[0]) : null;
}

/** A title by id, or by its exact name when no id matches. */
export async function findTitle(db: Db, idOrName: string): Promise<TitleRow | null> {
  const byId = await getTitle(db, idOrName);
  if (byId) return byId;
  const [rows] = await db.query<RowDataPacket[]>('SELECT * FROM titles WHERE title = ?', [idOrName]);
  return rows[0] ? toTitle(rows[0]) : null;
}

export async function listTitles(db: Db): Promise<TitleRow[]> {
  const [rows] = await db.query<RowDataPacket[]>('SELECT * FROM titles ORDER BY created_at');
  return rows.map(toTitle);
}

export async function setTitleStatus(
  db: Db,
  id: string,
  status: TitleStatus,
  error: string | null = null,
): Promise<void> {
  await db.query(
    `UPDATE titles SET status = ?, error = ?, published_at = IF(? = 'ready', CURRENT_TIMESTAMP(3), published_at) WHERE id = ?`,
    [status, error, status, id],
  );
}

export async function setUploadId(db: Db, id: string, uploadId: string | null): Promise<void> {
  await db.query('UPDATE titles SET upload_id = ? WHERE id = ?', [uploadId, id]);
}

export async function markUploaded(db: Db, id: string, etag: string): Promise<void> {
  await db.query(`UPDATE titles SET status = 'uploaded', source_etag = ?, upload_id = NULL WHERE id = ?`, [
    etag,
    id,
  ]);
}

export async function deleteTitleRows(db: Db, id: string): Promise<void> {
  await db.query('DELETE FROM title_objects WHERE title_id = ?', [id]);
  await db.query('DELETE FROM ingest_tasks WHERE title_id = ?', [id]);
  await db.query('DELETE FROM ingest_jobs WHERE title_id = ?', [id]);
  await db.query('DELETE FROM titles WHERE id = ?', [id]);
}

/**
 * Plays per title, and per title and zone (where the viewers were steered: what the distribution
 * service places titles on edges by), counted by the playback service through the catalog service.
 */
export async function ensurePopularitySchema(db: Db): Promise<void> {
  await db.query(`CREATE TABLE IF NOT EXISTS title_stats (
    title_id VARCHAR(64) ${ASCII} PRIMARY KEY,
    plays BIGINT NOT NULL DEFAULT 0,
    last_played_at DATETIME(3) NULL
  ) DEFAULT CHARACTER SET utf8mb4 COLLATE ${TEXT_COLLATION}`);
  await convertToUtf8mb4(db, 'title_stats', { title_id: ASCII });
  await db.query(`CREATE TABLE IF NOT EXISTS title_zone_plays (
    title_id VARCHAR(64) ${ASCII} NOT NULL,
    zone VARCHAR(8) ${ASCII} NOT NULL,
    plays BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (title_id, zone)
  ) DEFAULT CHARACTER SET utf8mb4 COLLATE ${TEXT_COLLATION}`);
}

export async function countPlays(db: Db, titleId: string, plays: number, zone?: string): Promise<void> {
  await db.query(
    `INSERT INTO title_stats (title_id, plays, last_played_at) VALUES (?, ?, CURRENT_TIMESTAMP(3))
     ON DUPLICATE KEY UPDATE plays = plays + VALUES(plays), last_played_at = CURRENT_TIMESTAMP(3)`,
    [titleId, plays],
  );
  if (zone !== undefined) {
    await db.query(
      `INSERT INTO title_zone_plays (title_id, zone, plays) VALUES (?, ?, ?)
       ON DUPLICATE KEY UPDATE plays = plays + VALUES(plays)`,
      [titleId, zone, plays],
    );
  }
}

/** Plays of every title that was played, per zone: title id → zone → plays. */
export async function playsByZone(db: Db): Promise<Map<string, Record<string, number>>> {
  await ensurePopularitySchema(db);
  const [rows] = await db.query('SELECT title_id, zone, plays FROM title_zone_plays');
  const out = new Map<string, Record<string, number>>();
  for (const r of rows as Array<{ title_id: string; zone: string; plays: number }>) {
    const zones = out.get(r.title_id) ?? {};
    zones[r.zone] = Number(r.plays);
    out.set(r.title_id, zones);
  }
  return out;
}

/** The most popular public ready titles, most played first (newest first among equals). */
export async function topTitles(
  db: Db,
  limit: number,
): Promise<Array<{ id: string; title: string; plays: number }>> {
  await ensurePopularitySchema(db);
  const [rows] = await db.query(
    `SELECT t.id, t.title, COALESCE(s.plays, 0) AS plays FROM titles t
     LEFT JOIN title_stats s ON s.title_id = t.id
     WHERE t.status = 'ready' AND t.visibility = 'public' ORDER BY plays DESC, t.published_at DESC LIMIT ?`,
    [limit],
  );
  return (rows as Array<{ id: string; title: string; plays: number }>).map((r) => ({
    id: r.id,
    title: r.title,
    plays: Number(r.plays),
  }));
}
