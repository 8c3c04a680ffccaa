import cassandra from 'cassandra-driver';
import { forEachLimited } from '../../core/concurrency.js';
import { connectCassandra, FLIX_KEYSPACE as KS } from '../../engines/cassandra/client.js';

/**
 * The recommendations in Cassandra: the offline job's per-user picks and per-title similar
 * titles (overwritten by every training), and each user's latest "because you watched" row,
 * written online when they finish a title.
 */
export interface UserRecs {
  /** the trained picks, best first (empty for a user the last training did not know) */
  picks: string[];
  trainedAt: string | null;
  because: { source: string; titles: string[]; at: string } | null;
}

export class RecsStore {
  private constructor(private readonly client: cassandra.Client) {}

  static async connect(endpoint: string): Promise<RecsStore> {
    const client = await connectCassandra(endpoint, async (c) => {
      await c.execute(
        `CREATE TABLE IF NOT EXISTS ${KS}.recs_by_user (user_id text PRIMARY KEY, titles list<text>, trained_at timestamp)`,
      );
      await c.execute(
        `CREATE TABLE IF NOT EXISTS ${KS}.recs_similar (title_id text PRIMARY KEY, titles list<text>, trained_at timestamp)`,
      );
      await c.execute(
        `CREATE TABLE IF NOT EXISTS ${KS}.recs_because (user_id text PRIMARY KEY, source text, titles list<text>, at timestamp)`,
      );
    });
    return new RecsStore(client);
  }

  /** One training's rows, a few writes at a time. */
  async writeTraining(
    users: ReadonlyMap<string, string[]>,
    similar: ReadonlyMap<string, string[]>,
    trainedAt: Date,
  ): Promise<void> {
    const write = (table: string, key: string) => (row: [string, string[]]) =>
      this.client
        .execute(
          `INSERT INTO ${KS}.${table} (${key}, titles, trained_at) VALUES (?, ?, ?)`,
          [...row, trainedAt],
          {
            prepare: true,
          },
        )
        .then(() => {});
    await forEachLimited([...users], 16, write('recs_by_user', 'user_id'));
    await forEachLimited([...similar], 16, write('recs_similar', 'title_id'));
  }

  async forUser(userId: string): Promise<UserRecs> {
    const [picks, because] = await Promise.all([
      this.client.execute(`SELECT titles, trained_at FROM ${KS}.recs_by_user WHERE user_id = ?`, [userId], {
        prepare: true,
      }),
      this.client.execute(`SELECT source, titles, at FROM ${KS}.recs_because WHERE user_id = ?`, [userId], {
        prepare: true,
      }),
    ]);
    const p = picks.first();
    const b = because.first();
    return {
      picks: (p?.get('titles') as string[] | null) ?? [],
      trainedAt: (p?.get('trained_at') as Date | null)?.toISOString() ?? null,
      because: b
        ? {
            source: b.get('source') as string,
            titles: (b.get('titles') as string[] | null) ?? [],
            at: (b.get('at') as Date).toISOString(),
          }
        : null,
    };
  }

  async similarTo(titleId: string): Promise<string[]> {
    const r = await this.client.execute(
      `SELECT titles FROM ${KS}.recs_similar WHERE title_id = ?`,
      [titleId],
      {
        prepare: true,
      },
    );
    return (r.first()?.get('titles') as string[] | null) ?? [];
  }

  /** A finished title: it becomes the user's "because you watched" row (an older event changes nothing). */
  async setBecause(userId: string, source: string, titles: string[], at: number): Promise<void> {
    await this.client.execute(
      `INSERT INTO ${KS}.recs_because (user_id, source, titles, at) VALUES (?, ?, ?, ?) USING TIMESTAMP ?`,
      [userId, source, titles, new Date(at), cassandra.types.Long.fromNumber(at).multiply(1000)],
      { prepare: true },
    );
  }

  async close(): Promise<void> {
    await this.client.shutdown();
  }
}
