import { randomUUID } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Client as EsClient } from '@elastic/elasticsearch';
import cassandra from 'cassandra-driver';
import { Kafka, logLevel } from 'kafkajs';
import memjs from 'memjs';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopbackPorts } from '../src/lib/cluster/ports.js';
import { clusterSecrets } from '../src/lib/cluster/secrets.js';
import { originBucket } from '../src/lib/engines/credentials.js';
import { signedTitleUrl } from '../src/lib/engines/edge/signing.js';
import { originClient } from '../src/lib/engines/origin/client.js';
import { flix, groupAlive, pidAlive, waitFor } from './helpers/cli.js';
import { type Component, SHARED_CLUSTER, status } from './helpers/cluster.js';
import { firstMessage } from './helpers/kafka.js';

/**
 * The shared CI cluster (brought up once through the CLI by the global setup), each engine proven
 * through its real client, a killed engine restarted by the supervisor, and nothing left behind
 * after `flix down` — which is why this suite runs last.
 */
const name = SHARED_CLUSTER;
let components: Component[] = [];
const endpoint = (n: string) => {
  const c = components.find((x) => x.name === n);
  if (!c) throw new Error(`no component ${n}`);
  return c.endpoint;
};

/** Wait until the supervisor has restarted a killed component and it is healthy again. */
function restartedAfter(before: Component, ms: number): Promise<Component> {
  return waitFor(
    `${before.name} to be restarted and healthy`,
    async () => {
      const c = (await status()).find((x) => x.name === before.name);
      return c && c.state === 'healthy' && c.pid !== before.pid ? c : null;
    },
    ms,
  );
}

describe('a native CI cluster', () => {
  beforeAll(async () => {
    components = await status();
  });

  afterAll(async () => {
    // a safety net only: the last test proves `down` itself
    await flix(['down', '--name', name, '--purge']);
  });

  it('runs every engine and service of the CI cluster, healthy, one memcached, edge and transcoder per zone', async () => {
    const s = await status();
    expect(s.map((c) => c.name).sort()).toEqual(
      [
        'cassandra',
        'edge-a',
        'edge-b',
        'elasticsearch',
        'kafka',
        'memcached-a',
        'memcached-b',
        'mysql',
        'origin',
        'prometheus',
        'orchestrator-1',
        'transcoder-a-1',
        'transcoder-b-1',
        'distribution-1',
        // the control plane: every per-zone service once in each zone, one ELB
        ...[
          'discovery',
          'users',
          'catalog',
          'playback',
          'steering',
          'recommendations',
          'search',
          'stats',
          'comments',
          'history',
          'uploads',
          'gateway',
        ].flatMap((svc) => [`${svc}-a-1`, `${svc}-b-1`]),
        'elb-1',
        'log-agent-1',
        'log-collector-1',
        'zipkin',
        // the shared cluster runs a catalog canary in the first zone
        'catalog-canary-1',
      ].sort(),
    );
    for (const c of s) {
      expect(c.state, c.name).toBe('healthy');
      expect(pidAlive(c.pid as number), c.name).toBe(true);
    }
    expect(s.find((c) => c.name === 'edge-b')).toMatchObject({ role: 'edge', zone: 'b' });
    expect(s.find((c) => c.name === 'kafka')).toMatchObject({ role: 'event-log', zone: null });
  });

  it('refuses a second up of the running cluster with exit code 6', async () => {
    const r = await flix(['up', '--cluster', 'ci', '--name', name]);
    expect(r.exitCode).toBe(6);
    expect(r.stderr).toContain(`cluster '${name}' is already running`);
  });

  it('Kafka: produces and consumes a message', async () => {
    const kafka = new Kafka({ clientId: 'itest', brokers: [endpoint('kafka')], logLevel: logLevel.NOTHING });
    const topic = `itest-${randomUUID()}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'title-1', value: 'title.uploaded' }] });
    await producer.disconnect();
    const got = await firstMessage(kafka, topic, `itest-${randomUUID()}`);
    expect(got).toBe('title-1=title.uploaded');
  });

  it('Cassandra: writes and reads a row', async () => {
    const client = new cassandra.Client({
      contactPoints: [endpoint('cassandra')],
      localDataCenter: 'datacenter1',
    });
    await client.connect();
    try {
      await client.execute(
        "CREATE KEYSPACE IF NOT EXISTS itest WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
      );
      await client.execute(
        'CREATE TABLE IF NOT EXISTS itest.bookmarks (user text, title text, position int, PRIMARY KEY (user, title))',
      );
      await client.execute(
        'INSERT INTO itest.bookmarks (user, title, position) VALUES (?, ?, ?)',
        ['alice', 'big-trip', 754],
        {
          prepare: true,
        },
      );
      const rs = await client.execute(
        'SELECT position FROM itest.bookmarks WHERE user = ? AND title = ?',
        ['alice', 'big-trip'],
        {
          prepare: true,
        },
      );
      expect(rs.first()?.get('position')).toBe(754);
    } finally {
      await client.shutdown();
    }
  });

  it('MySQL: writes and reads a row as the flix user', async () => {
    const [host, port] = endpoint('mysql').split(':');
    const { mysqlPassword } = await clusterSecrets(name);
    const conn = await mysql.createConnection({
      host,
      port: Number(port),
      user: 'flix',
      password: mysqlPassword,
      database: 'flix',
    });
    try {
      await conn.query('CREATE TABLE IF NOT EXISTS itest_users (id INT PRIMARY KEY, name VARCHAR(64))');
      await conn.query('REPLACE INTO itest_users VALUES (1, ?)', ['alice']);
      const [rows] = await conn.query('SELECT name FROM itest_users WHERE id = 1');
      expect((rows as Array<{ name: string }>)[0]?.name).toBe('alice');
    } finally {
      await conn.end();
    }
  });

  it('memcached: sets and gets in every zone', async () => {
    for (const zone of ['a', 'b']) {
      const client = memjs.Client.create(endpoint(`memcached-${zone}`), { logger: { log: () => {} } });
      try {
        await client.set('title:big-trip', `cached in ${zone}`, { expires: 60 });
        expect((await client.get('title:big-trip')).value?.toString()).toBe(`cached in ${zone}`);
      } finally {
        client.close();
      }
    }
  });

  it('Elasticsearch: indexes and finds a document', async () => {
    const es = new EsClient({ node: endpoint('elasticsearch') });
    try {
      // one node: no replicas, or the index stays yellow
      await es.indices.create({
        index: 'itest-titles',
        settings: { number_of_shards: 1, number_of_replicas: 0 },
      });
      await es.index({
        index: 'itest-titles',
        id: '1',
        document: { title: 'Big Trip', genres: ['drama'] },
        refresh: true,
      });
      const r = await es.search({
        index: 'itest-titles',
        query: { match: { title: { query: 'big trp', fuzziness: 'AUTO' } } },
      });
      expect(r.hits.hits.map((h) => h._id)).toEqual(['1']);
    } finally {
      await es.close();
    }
  });

  it('origin and edges: put an object, get it back, and through each edge twice (MISS then HIT)', async () => {
    const s3 = originClient(endpoint('origin'), await clusterSecrets(name));
    const body = Buffer.from(`segment ${randomUUID()}`);
    // edges serve only signed URLs of title objects (docs/control-plane.md)
    const key = `titles/itest-${randomUUID()}/seg-0001.m4s`;
    try {
      // a private object (the origin refuses strangers); the edges sign their own requests for it
      await s3.send(
        new PutObjectCommand({
          Bucket: originBucket,
          Key: key,
          Body: body,
          ContentType: 'video/iso.segment',
        }),
      );
      const got = await s3.send(new GetObjectCommand({ Bucket: originBucket, Key: key }));
      expect(
        Buffer.from(
          await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
        ),
      ).toEqual(body);
    } finally {
      s3.destroy();
    }
    for (const zone of ['a', 'b']) {
      const url = signedTitleUrl(endpoint(`edge-${zone}`), key, {
        secret: (await clusterSecrets(name)).edgeSigningKey,
        expiresAt: Math.floor(Date.now() / 1000) + 600,
      });
      const first = await fetch(url);
      expect(first.status).toBe(200);
      expect(Buffer.from(await first.arrayBuffer())).toEqual(body);
      expect(first.headers.get('x-cache-status')).toBe('MISS');
      expect(first.headers.get('x-edge-zone')).toBe(zone);
      const second = await fetch(url);
      expect(Buffer.from(await second.arrayBuffer())).toEqual(body);
      expect(second.headers.get('x-cache-status')).toBe('HIT');
    }
  });

  it('restarts a killed engine, counts the restart, and the engine keeps its data', async () => {
    const before = (await status()).find((c) => c.name === 'kafka') as Component;
    const topic = `itest-durable-${randomUUID()}`;
    const kafka = () =>
      new Kafka({ clientId: 'itest', brokers: [endpoint('kafka')], logLevel: logLevel.NOTHING });
    const producer = kafka().producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'before the crash' }], acks: -1 });
    await producer.disconnect();

    process.kill(before.pid as number, 'SIGKILL');
    const after = await restartedAfter(before, 120_000);
    expect(after.restarts).toBe(before.restarts + 1);
    expect(pidAlive(before.pid as number)).toBe(false);

    const got = await firstMessage(kafka(), topic, `itest-${randomUUID()}`);
    expect(got).toBe('before the crash');
  });

  it('restarts a killed memcached in its zone', async () => {
    const before = (await status()).find((c) => c.name === 'memcached-b') as Component;
    process.kill(before.pid as number, 'SIGKILL');
    const after = await restartedAfter(before, 30_000);
    expect(after.restarts).toBe(before.restarts + 1);
  });

  it('down stops everything: no process and no listening port remains; a second down says not running', async () => {
    const last = await status();
    const r = await flix(['down', '--name', name, '--json']);
    expect(r.exitCode).toBe(0);
    for (const c of last) {
      expect(pidAlive(c.pid as number), `${c.name} pid ${c.pid}`).toBe(false);
      expect(groupAlive(c.pid as number), `${c.name} process group ${c.pid}`).toBe(false);
      for (const [portName, port] of Object.entries(c.ports)) {
        expect(await loopbackPorts.isFree(port), `${c.name} ${portName} port ${port}`).toBe(true);
      }
    }
    const s = await flix(['status', '--name', name]);
    expect(s.exitCode).toBe(7);
    const again = await flix(['down', '--name', name]);
    expect(again.exitCode).toBe(7);
    expect(again.stderr).toContain(`cluster '${name}' is not running`);
  });
});
