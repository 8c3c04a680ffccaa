import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { ASCII, type Db, fitsAscii, jsonColumn, TEXT_COLLATION } from '../../engines/mysql/client.js';
import type { UploadQuota, UploadRequest, UploadState, UploadView } from './contract.js';

/**
 * The viewer_uploads table: one row per tus upload, from its creation (which is when it counts
 * against the quota) to the title it became or why it did not. The bytes themselves are in the
 * origin's uploads bucket while they arrive.
 */
export async function ensureUploadsSchema(db: Db): Promise<void> {
  await db.query(`CREATE TABLE IF NOT EXISTS viewer_uploads (
    id VARCHAR(64) ${ASCII} PRIMARY KEY,
    user_id VARCHAR(64) ${ASCII} NOT NULL,
    title VARCHAR(255) NOT NULL,
    filename VARCHAR(255) NOT NULL,
    visibility VARCHAR(8) ${ASCII} NOT NULL,
    genres JSON NOT NULL,
    year INT NULL,
    bytes BIGINT NOT NULL,
    state VARCHAR(16) ${ASCII} NOT NULL,
    title_id VARCHAR(64) ${ASCII} NULL,
    error TEXT NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    KEY viewer_uploads_user (user_id, created_at)
  ) DEFAULT CHARACTER SET utf8mb4 COLLATE ${TEXT_COLLATION}`);
}

export interface UploadRow extends UploadView {
  userId: string;
  genres: string[];
  year: number | null;
}

function toRow(r: RowDataPacket): UploadRow {
  return {
    id: r.id,
    userId: r.user_id,
    title: r.title,
    filename: r.filename,
    visibility: r.visibility,
    genres: jsonColumn(r.genres),
    year: r.year ?? null,
    bytes: Number(r.bytes),
    state: r.state,
    titleId: r.title_id ?? null,
    titleStatus: r.title_status ?? null,
    error: r.error ?? null,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

export function viewOf(r: UploadRow): UploadView {
  const { userId: _u, genres: _g, year: _y, ...view } = r;
  return view;
}

// refused and cancelled uploads keep nothing, and do not count
const COUNTED = "state NOT IN ('refused', 'cancelled') AND created_at >= NOW(3) - INTERVAL 1 DAY";

/** What the user started in the last 24 hours. */
export async function quotaUse(db: Db, userId: string): Promise<{ count: number; bytes: number }> {
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b FROM viewer_uploads WHERE user_id = ? AND ${COUNTED}`,
    [userId],
  );
  return { count: Number(rows[0]?.n ?? 0), bytes: Number(rows[0]?.b ?? 0) };
}

/**
 * Records a new upload if it fits the quota, in one statement (two uploads started at once by
 * the same user cannot both take the last place). False when it does not fit.
 */
export async function reserveUpload(
  db: Db,
  id: string,
  userId: string,
  req: UploadRequest,
  quota: UploadQuota,
): Promise<boolean> {
  const [r] = await db.query<ResultSetHeader>(
    `INSERT INTO viewer_uploads (id, user_id, title, filename, visibility, genres, year, bytes, state)
     SELECT ?, ?, ?, ?, ?, ?, ?, ?, 'receiving' FROM DUAL
     WHERE (SELECT COUNT(*) FROM viewer_uploads WHERE user_id = ? AND ${COUNTED}) < ?
       AND (SELECT COALESCE(SUM(bytes), 0) FROM viewer_uploads WHERE user_id = ? AND ${COUNTED}) + ? <= ?`,
    [
      id,
      userId,
      req.title,
      req.filename,
      req.visibility,
      JSON.stringify(req.genres),
      req.year,
      req.bytes,
      userId,
      quota.perDay,
      userId,
      req.bytes,
      quota.bytesPerDay,
    ],
  );
  return r.affectedRows === 1;
}

// with the status of the title it became (gone when the title was deleted)
const SELECT =
  'SELECT u.*, t.status AS title_status FROM viewer_uploads u LEFT JOIN titles t ON t.id = u.title_id';

export async function getUpload(db: Db, id: string): Promise<UploadRow | null> {
  if (!fitsAscii(id)) return null;
  const [rows] = await db.query<RowDataPacket[]>(`${SELECT} WHERE u.id = ?`, [id]);
  return rows[0] ? toRow(rows[0]) : null;
}

export async function listUploads(db: Db, userId: string, limit = 50): Promise<UploadRow[]> {
  const [rows] = await db.query<RowDataPacket[]>(
    `${SELECT} WHERE u.user_id = ? ORDER BY u.created_at DESC LIMIT ?`,
    [userId, limit],
  );
  return rows.map(toRow);
}

/** Uploads whose bytes all arrived but that a stopped instance did not finish with. */
export async function unfinishedUploads(db: Db): Promise<UploadRow[]> {
  const [rows] = await db.query<RowDataPacket[]>(
    `${SELECT} WHERE u.state = 'received' OR (u.state = 'accepted' AND t.status = 'uploading')`,
  );
  return rows.map(toRow);
}

export async function setUploadState(
  db: Db,
  id: string,
  state: UploadState,
  fields: { titleId?: string | null; error?: string | null } = {},
): Promise<void> {
  await db.query(
    'UPDATE viewer_uploads SET state = ?, title_id = COALESCE(?, title_id), error = ? WHERE id = ?',
    [state, fields.titleId ?? null, fields.error ?? null, id],
  );
}
