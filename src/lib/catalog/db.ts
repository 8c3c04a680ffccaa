import mysql from 'mysql2/promise';
import type { ClusterEndpoints } from '../cluster/endpoints.js';
import { mysqlCredentials } from '../engines/credentials.js';
import { FlixError } from '../errors.js';

export type Db = mysql.Pool;

export function connectCatalog(endpoints: ClusterEndpoints): Db {
  if (!endpoints.mysql) {
    throw new FlixError(`cluster '${endpoints.name}' runs no MySQL`, {
      code: 'invalidConfig',
      nextStep: 'enable engines.mysql',
    });
  }
  return mysql.createPool({
    host: endpoints.mysql.host,
    port: endpoints.mysql.port,
    ...mysqlCredentials,
    connectionLimit: 4,
    dateStrings: false,
    supportBigNumbers: true,
  });
}

/**
 * The catalog's tables (idempotent; run by every writer before it writes):
 * - titles: one row per title, the source of truth for its status
 * - ingest_jobs: the persisted DAG of a title's ingest (stage, plan, timings, lease)
 * - ingest_tasks: chunk x rendition encodes, done at most once each
 * - title_objects: every object published for a title with the MD5 recorded at write time
 */
const schema = [
  `CREATE TABLE IF NOT EXISTS titles (
    id VARCHAR(64) PRIMARY KEY,
    title VARCHAR(255) NOT NULL,
    title_key VARCHAR(255) NOT NULL,
    year INT NULL,
    genres JSON NOT NULL,
    regions JSON NOT NULL,
    status VARCHAR(16) NOT NULL,
    source_file VARCHAR(2048) NOT NULL,
    source_key VARCHAR(1024) NOT NULL,
    source_bytes BIGINT NOT NULL,
    source_etag VARCHAR(64) NULL,
    upload_id VARCHAR(512) NULL,
    media JSON NOT NULL,
    error TEXT NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    published_at DATETIME(3) NULL,
    UNIQUE KEY titles_title_key (title_key)
  )`,
  `CREATE TABLE IF NOT EXISTS ingest_jobs (
    title_id VARCHAR(64) PRIMARY KEY,
    stage VARCHAR(16) NOT NULL,
    plan JSON NULL,
    stage_times JSON NOT NULL,
    attempts INT NOT NULL DEFAULT 0,
    owner VARCHAR(128) NULL,
    lease_until DATETIME(3) NULL,
    error TEXT NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
  )`,
  `CREATE TABLE IF NOT EXISTS ingest_tasks (
    title_id VARCHAR(64) NOT NULL,
    task_id VARCHAR(64) NOT NULL,
    kind VARCHAR(8) NOT NULL,
    rendition VARCHAR(16) NOT NULL,
    chunk_index INT NOT NULL,
    status VARCHAR(8) NOT NULL,
    object_key VARCHAR(1024) NULL,
    md5 CHAR(32) NULL,
    bytes BIGINT NULL,
    worker VARCHAR(128) NULL,
    encode_seconds DOUBLE NULL,
    deliveries INT NOT NULL DEFAULT 0,
    queued_at DATETIME(3) NULL,
    done_at DATETIME(3) NULL,
    PRIMARY KEY (title_id, task_id)
  )`,
  `CREATE TABLE IF NOT EXISTS title_objects (
    title_id VARCHAR(64) NOT NULL,
    object_key VARCHAR(768) NOT NULL,
    kind VARCHAR(16) NOT NULL,
    md5 CHAR(32) NOT NULL,
    bytes BIGINT NOT NULL,
    PRIMARY KEY (title_id, object_key)
  )`,
];

export async function ensureCatalogSchema(db: Db): Promise<void> {
  for (const sql of schema) await db.query(sql);
}
