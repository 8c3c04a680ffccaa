import mysql from 'mysql2/promise';
import type { ClusterEndpoints } from '../../cluster/endpoints.js';
import { FlixError } from '../../core/errors.js';
import { mysqlCredentials } from '../credentials.js';

export type Db = mysql.Pool;

/** A JSON column as mysql2 hands it over: parsed already, or a string to parse. */
export const jsonColumn = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

/** A connection pool to the cluster's MySQL as the flix account. */
export function mysqlPool(endpoints: ClusterEndpoints): Db {
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
