import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import type { ComponentPlan } from '../../cluster/components.js';
import { type ClusterSecrets, clusterSecrets } from '../../cluster/secrets.js';
import { runQuiet } from '../../core/exec.js';
import { requireBinary } from '../binaries.js';
import type { EngineContext, EngineDriver } from '../driver.js';
import { FLIX_DATABASE, FLIX_PRIVILEGES, FLIX_USER, TEXT_COLLATION } from './client.js';

/** A unix socket path must stay under ~107 bytes; fall back to /tmp for deep FLIX_HOMEs. */
export function mysqlSocketPath(c: ComponentPlan): string {
  const inData = join(c.dataDir, 'mysqld.sock');
  if (inData.length < 100) return inData;
  return join(tmpdir(), `flix-mysql-${c.ports.mysql}.sock`);
}

const rootArgs = () => (process.getuid?.() === 0 ? ['--user=root'] : []);

/** MariaDB as the relational store: a private data dir, loopback TCP, no /etc/mysql. */
export const mysqlDriver: EngineDriver = {
  async prepare(c: ComponentPlan) {
    const dbDir = join(c.dataDir, 'db');
    if (existsSync(join(dbDir, 'mysql', 'global_priv.frm'))) return; // initialised before: keep the data
    // initialise beside it and rename on success, so a half-made data dir never counts as initialised
    const initDir = `${dbDir}.init`;
    await rm(initDir, { recursive: true, force: true });
    await mkdir(c.dataDir, { recursive: true });
    await runQuiet(requireBinary('mariadb-install-db'), [
      '--no-defaults',
      `--datadir=${initDir}`,
      ...rootArgs(),
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      '--skip-name-resolve',
    ]);
    await rm(dbDir, { recursive: true, force: true });
    await rename(initDir, dbDir);
  },

  launch(c: ComponentPlan) {
    return {
      file: requireBinary('mariadbd'),
      args: [
        '--no-defaults',
        ...rootArgs(),
        `--datadir=${join(c.dataDir, 'db')}`,
        `--socket=${mysqlSocketPath(c)}`,
        `--port=${c.ports.mysql}`,
        '--bind-address=127.0.0.1',
        `--pid-file=${join(c.dataDir, 'mysqld.pid')}`,
        '--skip-log-bin',
        `--innodb-buffer-pool-size=${c.settings.bufferPool}`,
        '--skip-name-resolve',
        // a value in any script (and emoji) is stored as sent; the database default for tables
        '--character-set-server=utf8mb4',
        `--collation-server=${TEXT_COLLATION}`,
        '--console',
      ],
    };
  },

  /**
   * Ready when root answers on the socket; then the accounts are made safe and the flix database
   * and account made: root has the cluster's random password and is reachable only through the
   * local socket (the TCP root accounts a fresh data dir comes with are dropped), the flix account
   * has its own random password and may only work with the tables of the flix database, and the
   * database speaks utf8mb4. A data dir made by an older flix (root without a password, a flix
   * account with every privilege, latin1) is brought to the same state.
   */
  async probe(c: ComponentPlan, ctx: EngineContext) {
    const secrets = await clusterSecrets(ctx.clusterName);
    const root = await rootConnection(c, secrets.mysqlRootPassword);
    try {
      await secureAccounts(root, secrets);
    } finally {
      await root.end();
    }
    const conn = await mysql.createConnection({
      host: '127.0.0.1',
      port: c.ports.mysql,
      user: FLIX_USER,
      password: secrets.mysqlPassword,
      database: FLIX_DATABASE,
      connectTimeout: 2000,
    });
    try {
      await conn.query('SELECT 1');
    } finally {
      await conn.end();
    }
  },
};

/** Root over the socket with the cluster's password; a fresh (or older) data dir's root has none yet. */
async function rootConnection(c: ComponentPlan, password: string): Promise<mysql.Connection> {
  const connect = (pw: string) =>
    mysql.createConnection({
      socketPath: mysqlSocketPath(c),
      user: 'root',
      password: pw,
      connectTimeout: 2000,
    });
  try {
    return await connect(password);
  } catch (e) {
    if ((e as { code?: string }).code !== 'ER_ACCESS_DENIED_ERROR') throw e;
    const root = await connect('');
    await root.query(`ALTER USER 'root'@'localhost' IDENTIFIED BY ?`, [password]);
    return root;
  }
}

async function secureAccounts(root: mysql.Connection, secrets: ClusterSecrets): Promise<void> {
  // root only through the socket; no anonymous account
  const [others] = await root.query<mysql.RowDataPacket[]>(
    `SELECT User, Host FROM mysql.user WHERE (User = 'root' AND Host <> 'localhost') OR User = ''`,
  );
  for (const u of others) await root.query('DROP USER ?@?', [u.User, u.Host]);
  await root.query(
    `CREATE DATABASE IF NOT EXISTS \`${FLIX_DATABASE}\` CHARACTER SET utf8mb4 COLLATE ${TEXT_COLLATION}`,
  );
  await root.query(`ALTER DATABASE \`${FLIX_DATABASE}\` CHARACTER SET utf8mb4 COLLATE ${TEXT_COLLATION}`);
  await root.query(`CREATE USER IF NOT EXISTS ?@'127.0.0.1' IDENTIFIED BY ?`, [
    FLIX_USER,
    secrets.mysqlPassword,
  ]);
  await root.query(`ALTER USER ?@'127.0.0.1' IDENTIFIED BY ?`, [FLIX_USER, secrets.mysqlPassword]);
  // revoked and granted again only when they differ: between the two statements the account has
  // no privileges, and every restart would fail the queries that land in that moment
  const [grants] = await root.query<mysql.RowDataPacket[]>(`SHOW GRANTS FOR ?@'127.0.0.1'`, [FLIX_USER]);
  if (!hasExactlyFlixPrivileges(grants.map((g) => String(Object.values(g)[0])))) {
    await root.query(`REVOKE ALL PRIVILEGES, GRANT OPTION FROM ?@'127.0.0.1'`, [FLIX_USER]);
    await root.query(`GRANT ${FLIX_PRIVILEGES} ON \`${FLIX_DATABASE}\`.* TO ?@'127.0.0.1'`, [FLIX_USER]);
  }
}

/**
 * Whether `SHOW GRANTS` lines give the flix account what it should have and nothing else: the
 * USAGE line (its password) and FLIX_PRIVILEGES on the flix database. Pure.
 */
export function hasExactlyFlixPrivileges(lines: string[]): boolean {
  const want = FLIX_PRIVILEGES.split(',')
    .map((p) => p.trim())
    .sort()
    .join(', ');
  let onDatabase = false;
  for (const line of lines) {
    const m = /^GRANT (.+) ON (\S+) TO /.exec(line);
    if (!m) return false;
    const [, privileges, target] = m as unknown as [string, string, string];
    if (/WITH GRANT OPTION/.test(line)) return false;
    if (target === '*.*' && privileges === 'USAGE') continue;
    if (target.replace(/`/g, '') !== `${FLIX_DATABASE}.*`) return false;
    if (
      privileges
        .split(',')
        .map((p) => p.trim())
        .sort()
        .join(', ') !== want
    )
      return false;
    onDatabase = true;
  }
  return onDatabase;
}
