import cassandra from 'cassandra-driver';

/**
 * Bookmarks (where each user stopped in each title) in Cassandra, written by every heartbeat —
 * the write-heavy, per-user-partition data Cassandra suits.
 */

export interface Bookmark {
  titleId: string;
  position: number;
  updatedAt: string;
}

const KEYSPACE = 'flix';

export class BookmarkStore {
  private constructor(private readonly client: cassandra.Client) {}

  /**
   * Connects and makes the table, retrying for up to `patienceMs`: a Cassandra node that answers
   * health probes can still be slow to take new sessions on a busy machine.
   */
  static async connect(endpoint: string, patienceMs = 60_000): Promise<BookmarkStore> {
    const deadline = Date.now() + patienceMs;
    for (;;) {
      try {
        return await BookmarkStore.tryConnect(endpoint);
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  private static async tryConnect(endpoint: string): Promise<BookmarkStore> {
    const client = new cassandra.Client({
      contactPoints: [endpoint],
      localDataCenter: 'datacenter1',
      socketOptions: { connectTimeout: 5000, readTimeout: 5000 },
    });
    try {
      await BookmarkStore.prepareSchema(client);
    } catch (error) {
      await client.shutdown().catch(() => {});
      throw error;
    }
    return new BookmarkStore(client);
  }

  private static async prepareSchema(client: cassandra.Client): Promise<void> {
    await client.connect();
    await client.execute(
      `CREATE KEYSPACE IF NOT EXISTS ${KEYSPACE} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
    await client.execute(
      `CREATE TABLE IF NOT EXISTS ${KEYSPACE}.bookmarks (
        user_id text, title_id text, position double, updated_at timestamp,
        PRIMARY KEY (user_id, title_id))`,
    );
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
