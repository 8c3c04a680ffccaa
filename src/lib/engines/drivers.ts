import type { RunnerId } from '../cluster/components.js';
import { cassandraDriver } from './cassandra/driver.js';
import type { EngineDriver } from './driver.js';
import { edgeDriver } from './edge/driver.js';
import { elasticsearchDriver } from './elasticsearch/driver.js';
import { serviceDriver } from './flix-service.js';
import { kafkaDriver } from './kafka/driver.js';
import { memcachedDriver } from './memcached/driver.js';
import { mysqlDriver } from './mysql/driver.js';
import { originDriver } from './origin/driver.js';
import { prometheusDriver } from './prometheus/driver.js';
import { zipkinDriver } from './zipkin/driver.js';

const drivers: Record<RunnerId, EngineDriver> = {
  kafka: kafkaDriver,
  cassandra: cassandraDriver,
  elasticsearch: elasticsearchDriver,
  mysql: mysqlDriver,
  memcached: memcachedDriver,
  origin: originDriver,
  edge: edgeDriver,
  zipkin: zipkinDriver,
  prometheus: prometheusDriver,
  service: serviceDriver,
};

export function driverFor(engine: RunnerId): EngineDriver {
  return drivers[engine];
}
