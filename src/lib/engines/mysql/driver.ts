import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import type { ComponentPlan } from '../../cluster/components.js';
import { runQuiet } from '../../core/exec.js';
import { requireBinary } from '../binaries.js';
import { mysqlCredentials } from '../credentials.js';
import type { EngineDriver } from '../driver.js';

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
        '--console',
      ],
    };
  },

  /** Ready when root answers on the socket; then make sure the flix database and account exist. */
  async probe(c: ComponentPlan) {
    const root = await mysql.createConnection({
      socketPath: mysqlSocketPath(c),
      user: 'root',
      connectTimeout: 2000,
    });
    try {
      const { database, user, password } = mysqlCredentials;
      await root.query(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
      await root.query(`CREATE USER IF NOT EXISTS '${user}'@'127.0.0.1' IDENTIFIED BY '${password}'`);
      await root.query(`GRANT ALL PRIVILEGES ON \`${database}\`.* TO '${user}'@'127.0.0.1'`);
    } finally {
      await root.end();
    }
    const conn = await mysql.createConnection({
      host: '127.0.0.1',
      port: c.ports.mysql,
      ...mysqlCredentials,
      connectTimeout: 2000,
    });
    try {
      await conn.query('SELECT 1');
    } finally {
      await conn.end();
    }
  },
};
