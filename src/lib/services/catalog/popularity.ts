import { ASCII, convertToUtf8mb4, type Db, TEXT_COLLATION } from '../../engines/mysql/client.js';

/** Plays per title, counted by the playback service (through the catalog service). */
export async function ensurePopularitySchema(db: Db): Promise<void> {
  await db.query(`CREATE TABLE IF NOT EXISTS title_stats (
    title_id VARCHAR(64) ${ASCII} PRIMARY KEY,
    plays BIGINT NOT NULL DEFAULT 0,
    last_played_at DATETIME(3) NULL
  ) DEFAULT CHARACTER SET utf8mb4 COLLATE ${TEXT_COLLATION}`);
  await convertToUtf8mb4(db, 'title_stats', { title_id: ASCII });
}

export async function countPlays(db: Db, titleId: string, plays: number): Promise<void> {
  await db.query(
    `INSERT INTO title_stats (title_id, plays, last_played_at) VALUES (?, ?, CURRENT_TIMESTAMP(3))
     ON DUPLICATE KEY UPDATE plays = plays + VALUES(plays), last_played_at = CURRENT_TIMESTAMP(3)`,
    [titleId, plays],
  );
}

/** The most popular ready titles, most played first (newest first among equals). */
export async function topTitles(
  db: Db,
  limit: number,
): Promise<Array<{ id: string; title: string; plays: number }>> {
  await ensurePopularitySchema(db);
  const [rows] = await db.query(
    `SELECT t.id, t.title, COALESCE(s.plays, 0) AS plays FROM titles t
     LEFT JOIN title_stats s ON s.title_id = t.id
     WHERE t.status = 'ready' ORDER BY plays DESC, t.published_at DESC LIMIT ?`,
    [limit],
  );
  return (rows as Array<{ id: string; title: string; plays: number }>).map((r) => ({
    id: r.id,
    title: r.title,
    plays: Number(r.plays),
  }));
}
