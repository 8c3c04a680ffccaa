import { gunzipSync, gzipSync } from 'node:zlib';
import cassandra from 'cassandra-driver';
import { connectCassandra, FLIX_KEYSPACE as KS } from '../../engines/cassandra/client.js';
import { type HistoryEntry, latestByTitle, type ViewingEvent } from './contract.js';

const micros = (ms: number) => cassandra.types.Long.fromNumber(ms).multiply(1000);

/**
 * Viewing history in Cassandra. Live history is a row per user and title, written with the
 * client's event time as the cell timestamp (`USING TIMESTAMP`), so Cassandra itself keeps the
 * newest position whatever order heartbeats arrive in: last write wins on the client's clock.
 * History older than an age moves into one compressed row per user (gzip JSON of its entries);
 * the live rows are then deleted at their own timestamps, so a heartbeat that arrived during the
 * move (newer) survives the delete. A read merges both, newest first, so a move cut short by a
 * kill loses nothing: the row is in one place or in both.
 */
export class HistoryStore {
  private constructor(private readonly client: cassandra.Client) {}

  static async connect(endpoint: string): Promise<HistoryStore> {
    const client = await connectCassandra(endpoint, async (c) => {
      await c.execute(
        `CREATE TABLE IF NOT EXISTS ${KS}.history_live (
          user_id text, title_id text, position double, device text, event_at timestamp,
          PRIMARY KEY (user_id, title_id))`,
      );
      await c.execute(
        `CREATE TABLE IF NOT EXISTS ${KS}.history_compressed (
          user_id text PRIMARY KEY, packed blob, titles int, updated_at timestamp)`,
      );
    });
    return new HistoryStore(client);
  }

  /** One heartbeat; an older event than the one stored changes nothing. */
  async record(e: ViewingEvent): Promise<void> {
    await this.client.execute(
      `INSERT INTO ${KS}.history_live (user_id, title_id, position, device, event_at) VALUES (?, ?, ?, ?, ?) USING TIMESTAMP ?`,
      [e.userId, e.titleId, e.position, e.device, new Date(e.at), micros(e.at)],
      { prepare: true },
    );
  }

  async live(userId: string, titleId?: string): Promise<HistoryEntry[]> {
    const r = await this.client.execute(
      `SELECT title_id, position, device, event_at FROM ${KS}.history_live WHERE user_id = ?${titleId ? ' AND title_id = ?' : ''}`,
      titleId ? [userId, titleId] : [userId],
      { prepare: true },
    );
    return r.rows.map(entryOf);
  }

  async compressed(userId: string): Promise<HistoryEntry[]> {
    const r = await this.client.execute(
      `SELECT packed FROM ${KS}.history_compressed WHERE user_id = ?`,
      [userId],
      { prepare: true },
    );
    const blob = r.first()?.get('packed') as Buffer | undefined;
    return blob ? (JSON.parse(gunzipSync(blob).toString('utf8')) as HistoryEntry[]) : [];
  }

  /** Where a user is in a title: the newest of live and compressed history (0 when never played). */
  async position(userId: string, titleId: string): Promise<number> {
    const live = await this.live(userId, titleId);
    if (live.length > 0) return (live[0] as HistoryEntry).position;
    return (await this.compressed(userId)).find((e) => e.titleId === titleId)?.position ?? 0;
  }

  /**
   * Users with live rows older than `before`, with those rows (a scan of the live table in pages;
   * fine for the history a local cluster keeps).
   */
  async *usersWithOldRows(before: Date): AsyncGenerator<{ userId: string; rows: HistoryEntry[] }> {
    const byUser = new Map<string, HistoryEntry[]>();
    for await (const row of this.client.stream(
      `SELECT user_id, title_id, position, device, event_at FROM ${KS}.history_live`,
      [],
      { prepare: true, fetchSize: 500 },
    ) as unknown as AsyncIterable<cassandra.types.Row>) {
      const e = entryOf(row);
      if (new Date(e.at) >= before) continue;
      const user = row.get('user_id') as string;
      byUser.set(user, [...(byUser.get(user) ?? []), e]);
    }
    for (const [userId, rows] of byUser) yield { userId, rows };
  }

  /**
   * Every user's whole history, live and compressed merged (the newest event per title wins): a
   * scan of both tables, for the recommendations' offline training.
   */
  async *everyUsersHistory(): AsyncGenerator<{ userId: string; entries: HistoryEntry[] }> {
    const byUser = new Map<string, HistoryEntry[][]>();
    const add = (user: string, entries: HistoryEntry[]) =>
      byUser.set(user, [...(byUser.get(user) ?? []), entries]);
    for await (const row of this.client.stream(
      `SELECT user_id, title_id, position, device, event_at FROM ${KS}.history_live`,
      [],
      { prepare: true, fetchSize: 500 },
    ) as unknown as AsyncIterable<cassandra.types.Row>)
      add(row.get('user_id') as string, [entryOf(row)]);
    for await (const row of this.client.stream(`SELECT user_id, packed FROM ${KS}.history_compressed`, [], {
      prepare: true,
      fetchSize: 100,
    }) as unknown as AsyncIterable<cassandra.types.Row>)
      add(row.get('user_id') as string, JSON.parse(gunzipSync(row.get('packed') as Buffer).toString('utf8')));
    for (const [userId, lists] of byUser) yield { userId, entries: latestByTitle(...lists) };
  }

  /**
   * Moves a user's old live rows into their compressed row: the merged row is written first, then
   * each live row is deleted at its own timestamp (a newer heartbeat stays live).
   */
  async moveToCompressed(userId: string, rows: HistoryEntry[]): Promise<void> {
    const merged = latestByTitle(await this.compressed(userId), rows);
    await this.client.execute(
      `INSERT INTO ${KS}.history_compressed (user_id, packed, titles, updated_at) VALUES (?, ?, ?, toTimestamp(now()))`,
      [userId, gzipSync(JSON.stringify(merged)), merged.length],
      { prepare: true },
    );
    for (const e of rows) {
      await this.client.execute(
        `DELETE FROM ${KS}.history_live USING TIMESTAMP ? WHERE user_id = ? AND title_id = ?`,
        [micros(Date.parse(e.at)), userId, e.titleId],
        { prepare: true },
      );
    }
  }

  async close(): Promise<void> {
    await this.client.shutdown();
  }
}

function entryOf(row: cassandra.types.Row): HistoryEntry {
  return {
    titleId: row.get('title_id'),
    position: Number(row.get('position')),
    device: row.get('device') ?? 'unknown',
    at: new Date(row.get('event_at')).toISOString(),
  };
}
