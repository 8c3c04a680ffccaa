import type { EngineId, Role } from './components.js';

/**
 * What each engine is, independent of how it is started: its role in the architecture, whether
 * it runs once per zone, the ports it needs, which engines must be healthy before it starts, and
 * where it comes from. Pure data, used by planning, setup and doctor.
 */
export interface EngineInfo {
  id: EngineId;
  role: Role;
  title: string;
  perZone: boolean;
  portNames: readonly string[];
  /** the port a client connects to */
  mainPort: string;
  scheme: 'http' | 'tcp';
  dependsOn: readonly EngineId[];
  source:
    | { kind: 'maven'; profile: string; dirPrefix: string }
    | { kind: 'system'; binaries: readonly string[] };
}

export const engineCatalog: Record<EngineId, EngineInfo> = {
  kafka: {
    id: 'kafka',
    role: 'event-log',
    title: 'Apache Kafka (KRaft)',
    perZone: false,
    portNames: ['broker', 'controller'],
    mainPort: 'broker',
    scheme: 'tcp',
    dependsOn: [],
    source: { kind: 'maven', profile: 'kafka', dirPrefix: 'kafka' },
  },
  cassandra: {
    id: 'cassandra',
    role: 'wide-column-store',
    title: 'Apache Cassandra',
    perZone: false,
    portNames: ['native', 'storage', 'jmx'],
    mainPort: 'native',
    scheme: 'tcp',
    dependsOn: [],
    source: { kind: 'maven', profile: 'cassandra', dirPrefix: 'cassandra' },
  },
  elasticsearch: {
    id: 'elasticsearch',
    role: 'search',
    title: 'Elasticsearch',
    perZone: false,
    portNames: ['http', 'transport'],
    mainPort: 'http',
    scheme: 'http',
    dependsOn: [],
    source: { kind: 'maven', profile: 'elasticsearch', dirPrefix: 'elasticsearch' },
  },
  mysql: {
    id: 'mysql',
    role: 'relational-store',
    title: 'MariaDB (MySQL)',
    perZone: false,
    portNames: ['mysql'],
    mainPort: 'mysql',
    scheme: 'tcp',
    dependsOn: [],
    source: { kind: 'system', binaries: ['mariadbd', 'mariadb-install-db', 'mariadb-admin'] },
  },
  memcached: {
    id: 'memcached',
    role: 'cache',
    title: 'memcached (EVCache node)',
    perZone: true,
    portNames: ['memcached'],
    mainPort: 'memcached',
    scheme: 'tcp',
    dependsOn: [],
    source: { kind: 'system', binaries: ['memcached'] },
  },
  origin: {
    id: 'origin',
    role: 'origin',
    title: 'S3 origin (s3proxy)',
    perZone: false,
    portNames: ['http'],
    mainPort: 'http',
    scheme: 'http',
    dependsOn: [],
    source: { kind: 'maven', profile: 's3proxy', dirPrefix: 's3proxy' },
  },
  edge: {
    id: 'edge',
    role: 'edge',
    title: 'nginx edge (proxy cache)',
    perZone: true,
    portNames: ['http'],
    mainPort: 'http',
    scheme: 'http',
    dependsOn: ['origin'],
    // nginx and the njs module it loads (Debian: libnginx-mod-http-js)
    source: { kind: 'system', binaries: ['nginx', '/usr/lib/nginx/modules/ngx_http_js_module.so'] },
  },
  zipkin: {
    id: 'zipkin',
    role: 'tracing',
    title: 'Zipkin (traces)',
    perZone: false,
    portNames: ['http'],
    mainPort: 'http',
    scheme: 'http',
    dependsOn: [],
    source: { kind: 'maven', profile: 'zipkin', dirPrefix: 'zipkin' },
  },
  prometheus: {
    id: 'prometheus',
    role: 'metrics',
    title: 'Prometheus (metrics)',
    perZone: false,
    portNames: ['http'],
    mainPort: 'http',
    scheme: 'http',
    dependsOn: [],
    source: { kind: 'system', binaries: ['prometheus'] },
  },
};

export const engineIds = Object.keys(engineCatalog) as EngineId[];
