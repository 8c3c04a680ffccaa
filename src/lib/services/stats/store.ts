import cassandra from 'cassandra-driver';
import { connectCassandra, FLIX_KEYSPACE as KS } from '../../engines/cassandra/client.js';
import { type TitleCounts, type Vote, voteDelta } from './contract.js';

const SERIAL = cassandra.types.consistencies.serial;
const cassandraLong = (n: number) => cassandra.types.Long.fromNumber(n);

/**
 * Votes and views in Cassandra: the counts per title are counter columns (increments, the
 * write-heavy pattern counters are made for), and each user's vote is a row of its own, changed
 * only by a compare-and-set (a lightweight transaction). The counters move only when the
 * compare-and-set applied, so a vote that arrives twice — a retry, an at-least-once delivery —
 * finds itself already there and counts once. A view is counted the same way, once per play.
 */
export class StatsStore {
  private constructor(private readonly client: cassandra.Client) {}

  static async connect(endpoint: string): Promise<StatsStore> {
    const client = await connectCassandra(endpoint, async (c) => {
      await c.execute(
        `CREATE TABLE IF NOT EXISTS ${KS}.title_counts (
          title_id text PRIMARY KEY, likes counter, dislikes counter, views counter)`,
      );
      await c.execute(
        `CREATE TABLE IF NOT EXISTS ${KS}.votes_by_user (
          user_id text, title_id text, vote text, voted_at timestamp,
          PRIMARY KEY (user_id, title_id))`,
      );
      // a play is counted as a view at most once; the rows expire long after any play ends
      await c.execute(
        `CREATE TABLE IF NOT EXISTS ${KS}.counted_views (
          play_id text PRIMARY KEY, title_id text, counted_at timestamp)
          WITH default_time_to_live = 604800`,
      );
    });
    return new StatsStore(client);
  }

  async counts(titleId: string): Promise<TitleCounts> {
    const r = await this.client.execute(
      `SELECT likes, dislikes, views FROM ${KS}.title_counts WHERE title_id = ?`,
      [titleId],
      { prepare: true },
    );
    const row = r.first();
    const n = (c: string) => Number(row?.get(c) ?? 0);
    return { likes: n('likes'), dislikes: n('dislikes'), views: n('views') };
  }

  async voteOf(userId: string, titleId: string): Promise<Vote | null> {
    const r = await this.client.execute(
      `SELECT vote FROM ${KS}.votes_by_user WHERE user_id = ? AND title_id = ?`,
      [userId, titleId],
      { prepare: true },
    );
    return (r.first()?.get('vote') as Vote | undefined) ?? null;
  }

  /**
   * Sets (or with null removes) a user's vote: a compare-and-set from the vote last read. When
   * another request changed it in between, the compare-and-set answers the vote it found, and the
   * next try starts from that (no extra read). Then the counters move by the difference. Returns
   * whether anything changed.
   */
  async setVote(userId: string, titleId: string, to: Vote | null): Promise<boolean> {
    let from = await this.voteOf(userId, titleId);
    for (let attempt = 0; attempt < 5; attempt++) {
      if (from === to) return false;
      let r: cassandra.types.ResultSet;
      if (from === null) {
        r = await this.lwt(
          `INSERT INTO ${KS}.votes_by_user (user_id, title_id, vote, voted_at) VALUES (?, ?, ?, toTimestamp(now())) IF NOT EXISTS`,
          [userId, titleId, to],
        );
      } else if (to === null) {
        r = await this.lwt(`DELETE FROM ${KS}.votes_by_user WHERE user_id = ? AND title_id = ? IF vote = ?`, [
          userId,
          titleId,
          from,
        ]);
      } else {
        r = await this.lwt(
          `UPDATE ${KS}.votes_by_user SET vote = ?, voted_at = toTimestamp(now()) WHERE user_id = ? AND title_id = ? IF vote = ?`,
          [to, userId, titleId, from],
        );
      }
      if (!r.wasApplied()) {
        from = (r.first()?.get('vote') as Vote | undefined) ?? null;
        continue;
      }
      const d = voteDelta(from, to);
      await this.client.execute(
        `UPDATE ${KS}.title_counts SET likes = likes + ?, dislikes = dislikes + ? WHERE title_id = ?`,
        [cassandraLong(d.likes), cassandraLong(d.dislikes), titleId],
        { prepare: true },
      );
      return true;
    }
    throw new Error(`the vote of ${userId} on ${titleId} kept changing under 5 compare-and-sets`);
  }

  /** Counts a view of a play, unless that play was counted already. */
  async countView(playId: string, titleId: string): Promise<boolean> {
    const applied = (
      await this.lwt(
        `INSERT INTO ${KS}.counted_views (play_id, title_id, counted_at) VALUES (?, ?, toTimestamp(now())) IF NOT EXISTS`,
        [playId, titleId],
      )
    ).wasApplied();
    if (applied) {
      await this.client.execute(
        `UPDATE ${KS}.title_counts SET views = views + 1 WHERE title_id = ?`,
        [titleId],
        { prepare: true },
      );
    }
    return applied;
  }

  private lwt(query: string, params: unknown[]): Promise<cassandra.types.ResultSet> {
    return this.client.execute(query, params, { prepare: true, serialConsistency: SERIAL });
  }

  async close(): Promise<void> {
    await this.client.shutdown();
  }
}
