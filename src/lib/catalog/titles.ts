import type { RowDataPacket } from 'mysql2/promise';
import type { Db } from './db.js';

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
}

/** A JSON column as mysql2 hands it over: parsed already, or a string to parse. */
export const parseJsonColumn = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
const parse = parseJsonColumn;

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
  };
}

export async function insertTitle(
  db: Db,
  t: Pick<
    TitleRow,
    'id' | 'title' | 'year' | 'genres' | 'regions' | 'sourceFile' | 'sourceKey' | 'sourceBytes' | 'media'
  > & {
    titleKey: string;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO titles (id, title, title_key, year, genres, regions, status, source_file, source_key, source_bytes, media)
     VALUES (?, ?, ?, ?, ?, ?, 'uploading', ?, ?, ?, ?)`,
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
    ],
  );
}

export async function findTitleByKey(db: Db, key: string): Promise<TitleRow | null> {
  const [rows] = await db.query<RowDataPacket[]>('SELECT * FROM titles WHERE title_key = ?', [key]);
  return rows[0] ? toTitle(rows[0]) : null;
}

export async function getTitle(db: Db, id: string): Promise<TitleRow | null> {
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
