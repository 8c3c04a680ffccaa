import { createHash, randomBytes } from 'node:crypto';
import type { RowDataPacket } from 'mysql2/promise';
import { ASCII, convertToUtf8mb4, type Db, fitsAscii, TEXT_COLLATION } from '../../engines/mysql/client.js';
import { type Plan, plans, type User } from './contract.js';

/**
 * Users and billing in MySQL: plans, users, their subscription, and API tokens. A token is
 * `flx_` + 32 random bytes; only its SHA-256 (with the cluster's pepper) is stored.
 */

const schema = [
  `CREATE TABLE IF NOT EXISTS plans (
    id VARCHAR(16) ${ASCII} PRIMARY KEY,
    name VARCHAR(64) NOT NULL,
    price_cents INT NOT NULL,
    max_height INT NOT NULL,
    max_streams INT NOT NULL
  ) DEFAULT CHARACTER SET utf8mb4 COLLATE ${TEXT_COLLATION}`,
  `CREATE TABLE IF NOT EXISTS users (
    id VARCHAR(32) ${ASCII} PRIMARY KEY,
    name VARCHAR(32) ${ASCII} NOT NULL,
    region CHAR(2) ${ASCII} NOT NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    UNIQUE KEY users_name (name)
  ) DEFAULT CHARACTER SET utf8mb4 COLLATE ${TEXT_COLLATION}`,
  `CREATE TABLE IF NOT EXISTS subscriptions (
    user_id VARCHAR(32) ${ASCII} PRIMARY KEY,
    plan_id VARCHAR(16) ${ASCII} NOT NULL,
    status VARCHAR(16) ${ASCII} NOT NULL,
    started_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    renews_at DATETIME(3) NOT NULL
  ) DEFAULT CHARACTER SET utf8mb4 COLLATE ${TEXT_COLLATION}`,
  `CREATE TABLE IF NOT EXISTS api_tokens (
    token_hash CHAR(64) ${ASCII} PRIMARY KEY,
    user_id VARCHAR(32) ${ASCII} NOT NULL,
    expires_at DATETIME(3) NOT NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    KEY api_tokens_user (user_id)
  ) DEFAULT CHARACTER SET utf8mb4 COLLATE ${TEXT_COLLATION}`,
];

/** The ASCII columns of each users table, for older data dirs' conversion. */
const asciiColumns: Record<string, string[]> = {
  plans: ['id'],
  users: ['id', 'name', 'region'],
  subscriptions: ['user_id', 'plan_id', 'status'],
  api_tokens: ['token_hash', 'user_id'],
};

export async function ensureUsersSchema(db: Db): Promise<void> {
  for (const sql of schema) await db.query(sql);
  for (const [table, columns] of Object.entries(asciiColumns)) {
    await convertToUtf8mb4(db, table, Object.fromEntries(columns.map((c) => [c, ASCII])));
  }
  for (const p of plans) {
    await db.query(
      `INSERT INTO plans (id, name, price_cents, max_height, max_streams) VALUES (?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE name = VALUES(name), price_cents = VALUES(price_cents),
         max_height = VALUES(max_height), max_streams = VALUES(max_streams)`,
      [p.id, p.name, p.priceCents, p.maxHeight, p.maxStreams],
    );
  }
}

export function newUserId(): string {
  return `u_${randomBytes(6).toString('hex')}`;
}

export function newToken(): string {
  return `flx_${randomBytes(32).toString('base64url')}`;
}

export function tokenHash(token: string, pepper: string): string {
  return createHash('sha256').update(`${pepper}:${token}`).digest('hex');
}

const iso = (d: Date) => new Date(d).toISOString();

function toUser(r: RowDataPacket): User {
  const plan = plans.find((p) => p.id === r.plan_id) ?? (plans[0] as Plan);
  return {
    id: r.id,
    name: r.name,
    region: r.region,
    plan,
    subscription: { status: r.status, startedAt: iso(r.started_at), renewsAt: iso(r.renews_at) },
    createdAt: iso(r.created_at),
  };
}

const userSelect = `SELECT u.id, u.name, u.region, u.created_at, s.plan_id, s.status, s.started_at, s.renews_at
  FROM users u JOIN subscriptions s ON s.user_id = u.id`;

/** A user by id or by name. */
export async function findUser(db: Db, idOrName: string): Promise<User | null> {
  if (!fitsAscii(idOrName)) return null; // ids and user names are ASCII: this one names no user
  const [rows] = await db.query<RowDataPacket[]>(`${userSelect} WHERE u.id = ? OR u.name = ? LIMIT 1`, [
    idOrName,
    idOrName,
  ]);
  return rows[0] ? toUser(rows[0]) : null;
}

export async function listUsers(db: Db): Promise<User[]> {
  const [rows] = await db.query<RowDataPacket[]>(`${userSelect} ORDER BY u.created_at`);
  return rows.map(toUser);
}

/** Creates a user with an active subscription; false when the name is taken. */
export async function insertUser(
  db: Db,
  u: { id: string; name: string; region: string; planId: string },
): Promise<boolean> {
  const conn = await db.getConnection();
  try {
    await conn.beginTransaction();
    try {
      await conn.query('INSERT INTO users (id, name, region) VALUES (?, ?, ?)', [u.id, u.name, u.region]);
    } catch (e) {
      await conn.rollback();
      if ((e as { code?: string }).code === 'ER_DUP_ENTRY') return false;
      throw e;
    }
    await conn.query(
      `INSERT INTO subscriptions (user_id, plan_id, status, renews_at)
       VALUES (?, ?, 'active', DATE_ADD(CURRENT_TIMESTAMP(3), INTERVAL 30 DAY))`,
      [u.id, u.planId],
    );
    await conn.commit();
    return true;
  } finally {
    conn.release();
  }
}

export async function setSubscription(
  db: Db,
  userId: string,
  change: { planId?: string; status?: 'active' | 'cancelled' },
): Promise<void> {
  if (change.planId)
    await db.query('UPDATE subscriptions SET plan_id = ? WHERE user_id = ?', [change.planId, userId]);
  if (change.status)
    await db.query('UPDATE subscriptions SET status = ? WHERE user_id = ?', [change.status, userId]);
}

export async function insertToken(db: Db, hash: string, userId: string, expiresAt: Date): Promise<void> {
  await db.query('INSERT INTO api_tokens (token_hash, user_id, expires_at) VALUES (?, ?, ?)', [
    hash,
    userId,
    expiresAt,
  ]);
}

export async function findToken(db: Db, hash: string): Promise<{ userId: string; expiresAt: Date } | null> {
  const [rows] = await db.query<RowDataPacket[]>(
    'SELECT user_id, expires_at FROM api_tokens WHERE token_hash = ?',
    [hash],
  );
  const r = rows[0];
  return r ? { userId: r.user_id, expiresAt: new Date(r.expires_at) } : null;
}

/** A user with their subscription and every token (so none of them verifies again). */
export async function deleteUser(db: Db, userId: string): Promise<void> {
  const conn = await db.getConnection();
  try {
    await conn.beginTransaction();
    await conn.query('DELETE FROM api_tokens WHERE user_id = ?', [userId]);
    await conn.query('DELETE FROM subscriptions WHERE user_id = ?', [userId]);
    await conn.query('DELETE FROM users WHERE id = ?', [userId]);
    await conn.commit();
  } catch (e) {
    await conn.rollback();
    throw e;
  } finally {
    conn.release();
  }
}
