import type { EngineId } from '../cluster/components.js';
import { cassandraDriver } from './cassandra.js';
import type { EngineDriver } from './driver.js';
import { edgeDriver } from './edge.js';
import { elasticsearchDriver } from './elasticsearch.js';
import { kafkaDriver } from './kafka.js';
import { memcachedDriver } from './memcached.js';
import { mysqlDriver } from './mysql.js';
import { originDriver } from './origin.js';

const drivers: Record<EngineId, EngineDriver> = {
  kafka: kafkaDriver,
  cassandra: cassandraDriver,
  elasticsearch: elasticsearchDriver,
  mysql: mysqlDriver,
  memcached: memcachedDriver,
  origin: originDriver,
  edge: edgeDriver,
};

export function driverFor(engine: EngineId): EngineDriver {
  return drivers[engine];
}
