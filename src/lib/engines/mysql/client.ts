import mysql from 'mysql2/promise';
import type { ClusterEndpoints } from '../../cluster/endpoints.js';
import type { ClusterSecrets } from '../../cluster/secrets.js';
import { FlixError } from '../../core/errors.js';

export type Db = mysql.Pool;

/**
 * MariaDB errors about a value a client sent (too long for its column, not text in the column's
 * character set, a collation it cannot be compared in): a reason to give the client, or null for
 * any other error (which is a fault of the server, not of the request).
 */
const VALUE_ERRORS: Record<string, string> = {
  ER_DATA_TOO_LONG: 'a value is longer than its field allows',
  ER_TRUNCATED_WRONG_VALUE_FOR_FIELD: 'a value holds characters that cannot be stored',
  ER_TRUNCATED_WRONG_VALUE: 'a value has the wrong form',
  ER_CANT_AGGREGATE_2COLLATIONS: 'a value holds characters that cannot be compared',
  ER_CANT_AGGREGATE_3COLLATIONS: 'a value holds characters that cannot be compared',
  ER_CANT_AGGREGATE_NCOLLATIONS: 'a value holds characters that cannot be compared',
  ER_WARN_DATA_OUT_OF_RANGE: 'a number is out of range',
};

export function valueRefusedByDatabase(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? (VALUE_ERRORS[code] ?? null) : null;
}

/** A JSON column as mysql2 hands it over: parsed already, or a string to parse. */
export const jsonColumn = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

/** The account the services use, and their database. */
export const FLIX_USER = 'flix';
export const FLIX_DATABASE = 'flix';
/**
 * What the flix account may do: work with the rows of the flix database and keep its tables
 * (the services make and extend their own), nothing beyond it — no other database, no accounts,
 * no files, no DROP.
 */
export const FLIX_PRIVILEGES = 'SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, REFERENCES';
/**
 * The collation of people's text (titles, names, comments): case- and accent-insensitive, and
 * unlike the older Unicode collations it tells every emoji and supplementary character apart.
 */
export const TEXT_COLLATION = 'utf8mb4_unicode_520_ci';
/** Identifiers, object keys and hashes: ASCII, compared byte for byte (and short in indexes). */
export const ASCII = 'CHARACTER SET ascii COLLATE ascii_bin';

/**
 * Whether a value can be compared with an ASCII column at all: MySQL refuses to compare one with
 * text it cannot convert (an emoji) instead of finding nothing, so a lookup by an id a client
 * typed checks this first and finds nothing itself.
 */
export function fitsAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** A connection pool to the cluster's MySQL as the flix account. */
export function mysqlPool(endpoints: ClusterEndpoints, secrets: Pick<ClusterSecrets, 'mysqlPassword'>): Db {
  if (!endpoints.mysql) {
    throw new FlixError(`cluster '${endpoints.name}' runs no MySQL`, {
      code: 'invalidConfig',
      nextStep: 'enable engines.mysql',
    });
  }
  return mysql.createPool({
    host: endpoints.mysql.host,
    port: endpoints.mysql.port,
    user: FLIX_USER,
    password: secrets.mysqlPassword,
    database: FLIX_DATABASE,
    charset: 'UTF8MB4_UNICODE_520_CI',
    connectionLimit: 4,
    dateStrings: false,
    supportBigNumbers: true,
  });
}

/** Exact (byte for byte) utf8mb4, for text flix normalises itself before comparing. */
export const EXACT_TEXT = 'CHARACTER SET utf8mb4 COLLATE utf8mb4_bin';

/**
 * Converts a table an older flix made in latin1 to utf8mb4: every latin1 column becomes utf8mb4
 * text, or what `charsets` names for it (ASCII for keys that must stay short in an index, exact
 * text for normalised names). Does nothing to a table that is utf8mb4 already.
 */
export async function convertToUtf8mb4(
  db: Db,
  table: string,
  charsets: Record<string, string> = {},
): Promise<void> {
  const [columns] = await db.query<mysql.RowDataPacket[]>(
    `SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE FROM information_schema.COLUMNS
     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND CHARACTER_SET_NAME = 'latin1'`,
    [table],
  );
  if (columns.length === 0) return;
  const changes = columns.map((c) => {
    const charset = charsets[c.COLUMN_NAME] ?? `CHARACTER SET utf8mb4 COLLATE ${TEXT_COLLATION}`;
    return `MODIFY \`${c.COLUMN_NAME}\` ${c.COLUMN_TYPE} ${charset} ${c.IS_NULLABLE === 'YES' ? 'NULL' : 'NOT NULL'}`;
  });
  await db.query(
    `ALTER TABLE \`${table}\` ${changes.join(', ')}, DEFAULT CHARACTER SET utf8mb4 COLLATE ${TEXT_COLLATION}`,
  );
}
