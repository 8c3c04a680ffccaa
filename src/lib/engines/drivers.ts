import type { RunnerId } from '../cluster/components.js';
import { serviceDriver } from '../services/service-driver.js';
import { cassandraDriver } from './cassandra.js';
import type { EngineDriver } from './driver.js';
import { edgeDriver } from './edge.js';
import { elasticsearchDriver } from './elasticsearch.js';
import { kafkaDriver } from './kafka.js';
import { memcachedDriver } from './memcached.js';
import { mysqlDriver } from './mysql.js';
import { originDriver } from './origin.js';

const drivers: Record<RunnerId, EngineDriver> = {
  kafka: kafkaDriver,
  cassandra: cassandraDriver,
  elasticsearch: elasticsearchDriver,
  mysql: mysqlDriver,
  memcached: memcachedDriver,
  origin: originDriver,
  edge: edgeDriver,
  service: serviceDriver,
};

export function driverFor(engine: RunnerId): EngineDriver {
  return drivers[engine];
}
