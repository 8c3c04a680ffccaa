import type cassandra from 'cassandra-driver';
import { connectCassandra, FLIX_KEYSPACE } from '../../engines/cassandra/client.js';

/**
 * Bookmarks (where each user stopped in each title) in Cassandra, written by every heartbeat —
 * the write-heavy, per-user-partition data Cassandra suits.
 */

export interface Bookmark {
  titleId: string;
  position: number;
  updatedAt: string;
}

const KEYSPACE = FLIX_KEYSPACE;

export class BookmarkStore {
  private constructor(private readonly client: cassandra.Client) {}

  /** Connects (waiting for Cassandra to take sessions) and makes the table. */
  static async connect(endpoint: string): Promise<BookmarkStore> {
    const client = await connectCassandra(endpoint, async (c) => {
      await c.execute(
        `CREATE TABLE IF NOT EXISTS ${KEYSPACE}.bookmarks (
          user_id text, title_id text, position double, updated_at timestamp,
          PRIMARY KEY (user_id, title_id))`,
      );
    });
    return new BookmarkStore(client);
  }

  async get(userId: string, titleId: string): Promise<number> {
    const r = await this.client.execute(
      `SELECT position FROM ${KEYSPACE}.bookmarks WHERE user_id = ? AND title_id = ?`,
      [userId, titleId],
      { prepare: true },
    );
    return Number(r.first()?.get('position') ?? 0);
  }

  async put(userId: string, titleId: string, position: number): Promise<void> {
    await this.client.execute(
      `INSERT INTO ${KEYSPACE}.bookmarks (user_id, title_id, position, updated_at) VALUES (?, ?, ?, toTimestamp(now()))`,
      [userId, titleId, position],
      { prepare: true },
    );
  }

  async list(userId: string): Promise<Bookmark[]> {
    const r = await this.client.execute(
      `SELECT title_id, position, updated_at FROM ${KEYSPACE}.bookmarks WHERE user_id = ?`,
      [userId],
      { prepare: true },
    );
    return r.rows.map((row) => ({
      titleId: row.get('title_id'),
      position: Number(row.get('position')),
      updatedAt: new Date(row.get('updated_at')).toISOString(),
    }));
  }

  async close(): Promise<void> {
    await this.client.shutdown();
  }
}
