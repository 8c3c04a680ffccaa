import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import cassandra from 'cassandra-driver';
import memjs from 'memjs';
import { Gauge, Registry } from 'prom-client';
import type { ClusterEndpoints } from '../../cluster/endpoints.js';
import type { ClusterSecrets } from '../../cluster/secrets.js';
import { originBucket } from '../../engines/credentials.js';
import { elasticsearchClient } from '../../engines/elasticsearch/client.js';
import { type Kafka, kafkaFor } from '../../engines/kafka/client.js';
import { type Db, mysqlPool } from '../../engines/mysql/client.js';
import { originClient } from '../../engines/origin/client.js';

/**
 * The engines' own numbers for Prometheus, read at each scrape through the clients the services
 * use, so every component of the cluster is a target. The metric names follow the usual exporters'
 * (mysqld_exporter, elasticsearch_exporter, memcached_exporter, kafka_exporter, nginx exporter),
 * so their dashboards' queries work. They are served by the agent rather than by those exporters:
 * Debian packages no exporter for memcached, Kafka or Cassandra, and five more processes on a
 * two-core machine would cost more than these few reads.
 *
 * A read that fails answers 503, and Prometheus marks that engine's target down.
 */
export interface EngineExporter {
  scrape(): Promise<string>;
  close(): Promise<void>;
}

/** One scrape's values into a registry that keeps the metric objects between scrapes. */
class Values {
  readonly registry = new Registry();
  private readonly gauges = new Map<string, Gauge>();

  reset(): void {
    for (const g of this.gauges.values()) g.reset();
  }

  set(name: string, help: string, value: number, labels: Record<string, string> = {}): void {
    if (!Number.isFinite(value)) return;
    let g = this.gauges.get(name);
    if (!g) {
      g = new Gauge({ name, help, labelNames: Object.keys(labels), registers: [this.registry] });
      this.gauges.set(name, g);
    }
    g.set(labels, value);
  }
}

const READ_MS = 4000;

function exporter(
  read: (v: Values) => Promise<void>,
  close: () => Promise<void> = async () => {},
): EngineExporter {
  const values = new Values();
  return {
    async scrape() {
      values.reset();
      await read(values);
      return values.registry.metrics();
    },
    close,
  };
}

/** MariaDB: SHOW GLOBAL STATUS (needs no privilege), the counters operators watch. */
const MYSQL_STATUS: Record<string, string> = {
  Threads_connected: 'Connections open',
  Threads_running: 'Connections running a statement',
  Questions: 'Statements sent by clients',
  Slow_queries: 'Statements slower than long_query_time',
  Aborted_connects: 'Failed connection attempts',
  Innodb_buffer_pool_reads: 'Reads the buffer pool could not serve',
  Innodb_buffer_pool_read_requests: 'Logical reads',
  Innodb_row_lock_waits: 'Row lock waits',
  Bytes_received: 'Bytes from clients',
  Bytes_sent: 'Bytes to clients',
  Uptime: 'Seconds since the server started',
};

function mysqlExporter(endpoints: ClusterEndpoints, secrets: ClusterSecrets): EngineExporter {
  let pool: Db | null = null;
  return exporter(
    async (v) => {
      pool ??= mysqlPool(endpoints, secrets);
      const names = Object.keys(MYSQL_STATUS);
      const [rows] = await pool.query({
        sql: `SHOW GLOBAL STATUS WHERE Variable_name IN (${names.map(() => '?').join(',')})`,
        values: names,
        timeout: READ_MS,
      });
      for (const r of rows as Array<{ Variable_name: string; Value: string }>)
        v.set(
          `mysql_global_status_${r.Variable_name.toLowerCase()}`,
          MYSQL_STATUS[r.Variable_name] ?? r.Variable_name,
          Number(r.Value),
        );
    },
    async () => {
      await pool?.end();
    },
  );
}

function elasticsearchExporter(endpoint: string): EngineExporter {
  const es = elasticsearchClient(endpoint, READ_MS);
  return exporter(
    async (v) => {
      const [health, stats] = await Promise.all([
        es.cluster.health(),
        es.nodes.stats({ metric: ['jvm', 'indices'] }),
      ]);
      for (const color of ['green', 'yellow', 'red'])
        v.set(
          'elasticsearch_cluster_health_status',
          'The cluster health: 1 for its colour',
          health.status === color ? 1 : 0,
          {
            color,
          },
        );
      v.set('elasticsearch_cluster_health_active_shards', 'Active shards', health.active_shards);
      v.set('elasticsearch_cluster_health_unassigned_shards', 'Unassigned shards', health.unassigned_shards);
      v.set(
        'elasticsearch_cluster_health_number_of_pending_tasks',
        'Cluster tasks waiting',
        health.number_of_pending_tasks,
      );
      for (const node of Object.values(stats.nodes)) {
        v.set(
          'elasticsearch_jvm_memory_used_bytes',
          'JVM heap in use',
          node.jvm?.mem?.heap_used_in_bytes ?? Number.NaN,
          {
            area: 'heap',
          },
        );
        v.set(
          'elasticsearch_indices_docs',
          'Documents in the indices',
          node.indices?.docs?.count ?? Number.NaN,
        );
        v.set(
          'elasticsearch_indices_search_query_total',
          'Search queries',
          node.indices?.search?.query_total ?? Number.NaN,
        );
        v.set(
          'elasticsearch_indices_indexing_index_total',
          'Documents indexed',
          node.indices?.indexing?.index_total ?? Number.NaN,
        );
      }
    },
    async () => {
      await es.close();
    },
  );
}

function memcachedExporter(address: string): EngineExporter {
  const client = memjs.Client.create(address, {
    retries: 0,
    timeout: READ_MS / 1000,
    logger: { log: () => {} },
  });
  return exporter(
    async (v) => {
      const stats = await new Promise<Record<string, string>>((resolve, reject) =>
        client.stats((err, _server, s) =>
          err || !s ? reject(err ?? new Error('memcached sent no stats')) : resolve(s),
        ),
      );
      const n = (k: string) => Number(stats[k]);
      v.set('memcached_current_items', 'Items stored', n('curr_items'));
      v.set('memcached_current_bytes', 'Bytes the items take', n('bytes'));
      v.set('memcached_limit_bytes', 'The memory limit', n('limit_maxbytes'));
      v.set('memcached_current_connections', 'Open connections', n('curr_connections'));
      v.set('memcached_items_evicted_total', 'Items evicted to make room', n('evictions'));
      v.set('memcached_commands_total', 'Commands by result', n('get_hits'), {
        command: 'get',
        status: 'hit',
      });
      v.set('memcached_commands_total', 'Commands by result', n('get_misses'), {
        command: 'get',
        status: 'miss',
      });
      v.set('memcached_commands_total', 'Commands by result', n('cmd_set'), {
        command: 'set',
        status: 'hit',
      });
    },
    async () => client.close(),
  );
}

function kafkaExporter(endpoints: ClusterEndpoints): EngineExporter {
  const kafka: Kafka = kafkaFor(endpoints, 'flix-log-agent-metrics');
  const admin = kafka.admin();
  let connected: Promise<void> | null = null;
  return exporter(
    async (v) => {
      connected ??= admin.connect().catch((error) => {
        connected = null;
        throw error;
      });
      await connected;
      const timeout = <T>(p: Promise<T>) =>
        Promise.race([
          p,
          new Promise<never>((_, reject) =>
            setTimeout(() => reject(new Error('kafka did not answer')), READ_MS),
          ),
        ]);
      const cluster = await timeout(admin.describeCluster());
      v.set('kafka_brokers', 'Brokers in the cluster', cluster.brokers.length);
      const names = (await timeout(admin.listTopics())).filter((t) => !t.startsWith('__'));
      for (const topic of names)
        for (const p of await timeout(admin.fetchTopicOffsets(topic)))
          v.set('kafka_topic_partition_current_offset', "A partition's end offset", Number(p.high), {
            topic,
            partition: String(p.partition),
          });
    },
    async () => {
      if (connected) await admin.disconnect();
    },
  );
}

function cassandraExporter(endpoint: string): EngineExporter {
  const client = new cassandra.Client({
    contactPoints: [endpoint],
    localDataCenter: 'datacenter1',
    socketOptions: { connectTimeout: READ_MS, readTimeout: READ_MS },
  });
  return exporter(
    async (v) => {
      // the node's thread pools from its virtual tables: a stage with pending or blocked tasks is a node behind
      const r = await client.execute(
        'SELECT name, active_tasks, pending_tasks, blocked_tasks, completed_tasks FROM system_views.thread_pools',
      );
      for (const row of r.rows) {
        const pool = String(row.name);
        v.set('cassandra_thread_pool_active_tasks', 'Tasks running', Number(row.active_tasks), { pool });
        v.set('cassandra_thread_pool_pending_tasks', 'Tasks waiting', Number(row.pending_tasks), { pool });
        v.set('cassandra_thread_pool_blocked_tasks', 'Tasks blocked', Number(row.blocked_tasks), { pool });
        v.set('cassandra_thread_pool_completed_tasks', 'Tasks done', Number(row.completed_tasks), { pool });
      }
    },
    async () => client.shutdown(),
  );
}

function originExporter(endpoint: string, secrets: ClusterSecrets): EngineExporter {
  const s3: S3Client = originClient(endpoint, secrets);
  return exporter(
    async (v) => {
      const t0 = performance.now();
      await s3.send(new HeadBucketCommand({ Bucket: originBucket }), {
        abortSignal: AbortSignal.timeout(READ_MS),
      });
      v.set(
        's3_origin_head_bucket_seconds',
        'How long the origin took to answer a HEAD of its bucket',
        (performance.now() - t0) / 1000,
      );
    },
    async () => s3.destroy(),
  );
}

/** nginx's stub_status (loopback only on the edges) as the nginx exporter names it. */
export function parseNginxStatus(text: string): Record<string, number> | null {
  const active = /Active connections:\s*(\d+)/.exec(text);
  const totals = /\n\s*(\d+)\s+(\d+)\s+(\d+)\s*\n/.exec(text);
  const rw = /Reading:\s*(\d+)\s+Writing:\s*(\d+)\s+Waiting:\s*(\d+)/.exec(text);
  if (!active || !totals || !rw) return null;
  return {
    active: Number(active[1]),
    accepted: Number(totals[1]),
    handled: Number(totals[2]),
    requests: Number(totals[3]),
    reading: Number(rw[1]),
    writing: Number(rw[2]),
    waiting: Number(rw[3]),
  };
}

function edgeExporter(url: string): EngineExporter {
  return exporter(async (v) => {
    const res = await fetch(`${url}/_status`, { signal: AbortSignal.timeout(READ_MS) });
    const s = parseNginxStatus(await res.text());
    if (res.status !== 200 || !s) throw new Error(`the edge's stub_status answered ${res.status}`);
    for (const state of ['active', 'reading', 'writing', 'waiting'] as const)
      v.set('nginx_connections_current', 'Connections by state', s[state] ?? 0, { state });
    for (const state of ['accepted', 'handled'] as const)
      v.set('nginx_connections_total', 'Connections since the start', s[state] ?? 0, { state });
    v.set('nginx_http_requests_total', 'Requests since the start', s.requests ?? 0);
  });
}

/** An exporter per engine component of the cluster, by component name. */
export function engineExporters(
  endpoints: ClusterEndpoints,
  secrets: ClusterSecrets,
): Map<string, EngineExporter> {
  const out = new Map<string, EngineExporter>();
  if (endpoints.kafkaBrokers.length > 0) out.set('kafka', kafkaExporter(endpoints));
  if (endpoints.cassandra) out.set('cassandra', cassandraExporter(endpoints.cassandra));
  if (endpoints.elasticsearch) out.set('elasticsearch', elasticsearchExporter(endpoints.elasticsearch));
  if (endpoints.mysql) out.set('mysql', mysqlExporter(endpoints, secrets));
  if (endpoints.origin) out.set('origin', originExporter(endpoints.origin, secrets));
  for (const m of endpoints.memcached) out.set(m.name, memcachedExporter(m.address));
  for (const e of endpoints.edges) out.set(e.name, edgeExporter(e.url));
  return out;
}
