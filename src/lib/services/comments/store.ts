import cassandra from 'cassandra-driver';
import { connectCassandra, FLIX_KEYSPACE as KS } from '../../engines/cassandra/client.js';
import { type CommentView, type Cursor, dayOf } from './contract.js';

const { TimeUuid } = cassandra.types;

/**
 * Comments in Cassandra, partitioned by title and UTC day (so a title commented on for years is
 * many bounded partitions, not one that grows forever), newest first within a day; the days a
 * title has comments on, newest first; and each user's comments, for deleting one's own and for
 * the per-user rate limit.
 */
export class CommentStore {
  private constructor(private readonly client: cassandra.Client) {}

  static async connect(endpoint: string): Promise<CommentStore> {
    const client = await connectCassandra(endpoint, async (c) => {
      await c.execute(
        `CREATE TABLE IF NOT EXISTS ${KS}.comments_by_title (
          title_id text, day text, comment_id timeuuid, user_id text, body text,
          PRIMARY KEY ((title_id, day), comment_id)) WITH CLUSTERING ORDER BY (comment_id DESC)`,
      );
      await c.execute(
        `CREATE TABLE IF NOT EXISTS ${KS}.comment_days (
          title_id text, day text, PRIMARY KEY (title_id, day)) WITH CLUSTERING ORDER BY (day DESC)`,
      );
      await c.execute(
        `CREATE TABLE IF NOT EXISTS ${KS}.comments_by_user (
          user_id text, comment_id timeuuid, title_id text,
          PRIMARY KEY (user_id, comment_id)) WITH CLUSTERING ORDER BY (comment_id DESC)`,
      );
      await c.execute(
        `CREATE TABLE IF NOT EXISTS ${KS}.comment_quota (
          user_id text PRIMARY KEY, version int, stamps list<bigint>) WITH default_time_to_live = 3600`,
      );
    });
    return new CommentStore(client);
  }

  async add(titleId: string, userId: string, text: string, now = new Date()): Promise<CommentView> {
    const id = TimeUuid.fromDate(now);
    const day = dayOf(now);
    await this.client.batch(
      [
        {
          query: `INSERT INTO ${KS}.comments_by_title (title_id, day, comment_id, user_id, body) VALUES (?, ?, ?, ?, ?)`,
          params: [titleId, day, id, userId, text],
        },
        { query: `INSERT INTO ${KS}.comment_days (title_id, day) VALUES (?, ?)`, params: [titleId, day] },
        {
          query: `INSERT INTO ${KS}.comments_by_user (user_id, comment_id, title_id) VALUES (?, ?, ?)`,
          params: [userId, id, titleId],
        },
      ],
      { prepare: true, logged: true },
    );
    return { id: id.toString(), titleId, userId, text, createdAt: now.toISOString() };
  }

  /**
   * Takes one of a user's `perWindow` comments in the sliding `windowMs` (false: none left). The
   * user's row of recent times is changed only by compare-and-set on its version (a Cassandra
   * lightweight transaction), so comments sent at once through different instances cannot all
   * read the same count and all pass.
   */
  async takeCommentSlot(
    userId: string,
    perWindow: number,
    windowMs: number,
    now = Date.now(),
  ): Promise<boolean> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const row = (
        await this.client.execute(
          `SELECT version, stamps FROM ${KS}.comment_quota WHERE user_id = ?`,
          [userId],
          {
            prepare: true,
            consistency: cassandra.types.consistencies.serial,
          },
        )
      ).first();
      const recent = ((row?.get('stamps') as cassandra.types.Long[] | null) ?? [])
        .map((x) => Number(x))
        .filter((t) => t > now - windowMs);
      if (recent.length >= perWindow) return false;
      const stamps = [...recent, now].map((t) => cassandra.types.Long.fromNumber(t));
      const applied = row
        ? await this.client.execute(
            `UPDATE ${KS}.comment_quota SET version = ?, stamps = ? WHERE user_id = ? IF version = ?`,
            [(row.get('version') as number) + 1, stamps, userId, row.get('version')],
            { prepare: true },
          )
        : await this.client.execute(
            `INSERT INTO ${KS}.comment_quota (user_id, version, stamps) VALUES (?, 0, ?) IF NOT EXISTS`,
            [userId, stamps],
            { prepare: true },
          );
      if (applied.first()?.get('[applied]') === true) return true;
      // another comment of this user won the race: read again
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * (attempt + 1)));
    }
    throw new Error(`could not take a comment slot for ${userId}: too much contention`);
  }

  /**
   * Up to `limit` comments, newest first, after the cursor; and whether more follow. Walks the
   * title's days from the cursor's (or the newest) until the page is full.
   */
  async page(
    titleId: string,
    limit: number,
    cursor: Cursor | null,
  ): Promise<{ comments: CommentView[]; more: boolean }> {
    const out: CommentView[] = [];
    const days = await this.days(titleId, cursor?.day ?? null);
    for (const day of days) {
      const after = cursor && day === cursor.day ? cursor.after : null;
      const r = await this.client.execute(
        `SELECT comment_id, user_id, body FROM ${KS}.comments_by_title
         WHERE title_id = ? AND day = ?${after ? ' AND comment_id < ?' : ''} LIMIT ?`,
        after ? [titleId, day, after, limit + 1 - out.length] : [titleId, day, limit + 1 - out.length],
        { prepare: true },
      );
      for (const row of r.rows) {
        const id = row.get('comment_id') as cassandra.types.TimeUuid;
        out.push({
          id: id.toString(),
          titleId,
          userId: row.get('user_id'),
          text: row.get('body'),
          createdAt: id.getDate().toISOString(),
        });
      }
      if (out.length > limit) break;
    }
    return { comments: out.slice(0, limit), more: out.length > limit };
  }

  /** The title's comment days, newest first, from `from` (inclusive) down. */
  private async days(titleId: string, from: string | null): Promise<string[]> {
    const r = await this.client.execute(
      `SELECT day FROM ${KS}.comment_days WHERE title_id = ?${from ? ' AND day <= ?' : ''}`,
      from ? [titleId, from] : [titleId],
      { prepare: true },
    );
    return r.rows.map((row) => row.get('day') as string);
  }

  /** One comment of a title by id; null when there is none. */
  async get(titleId: string, commentId: string): Promise<CommentView | null> {
    let id: cassandra.types.TimeUuid;
    try {
      id = TimeUuid.fromString(commentId);
    } catch {
      return null;
    }
    const day = dayOf(id.getDate());
    const r = await this.client.execute(
      `SELECT user_id, body FROM ${KS}.comments_by_title WHERE title_id = ? AND day = ? AND comment_id = ?`,
      [titleId, day, id],
      { prepare: true },
    );
    const row = r.first();
    if (!row) return null;
    return {
      id: commentId,
      titleId,
      userId: row.get('user_id'),
      text: row.get('body'),
      createdAt: id.getDate().toISOString(),
    };
  }

  async delete(c: CommentView): Promise<void> {
    const id = TimeUuid.fromString(c.id);
    await this.client.batch(
      [
        {
          query: `DELETE FROM ${KS}.comments_by_title WHERE title_id = ? AND day = ? AND comment_id = ?`,
          params: [c.titleId, dayOf(id.getDate()), id],
        },
        {
          query: `DELETE FROM ${KS}.comments_by_user WHERE user_id = ? AND comment_id = ?`,
          params: [c.userId, id],
        },
      ],
      { prepare: true, logged: true },
    );
  }

  async close(): Promise<void> {
    await this.client.shutdown();
  }
}
