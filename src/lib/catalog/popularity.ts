import type { Db } from './db.js';

/** The most popular ready titles, most played first (newest first among equals). */
export async function topTitles(db: Db, limit: number): Promise<Array<{ id: string; title: string }>> {
  const [rows] = await db.query(
    `SELECT id, title FROM titles WHERE status = 'ready' ORDER BY published_at DESC LIMIT ?`,
    [limit],
  );
  return (rows as Array<{ id: string; title: string }>).map((r) => ({ id: r.id, title: r.title }));
}
