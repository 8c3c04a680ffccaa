import { appendFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterPaths } from '../src/lib/core/paths.js';
import { logsBucket } from '../src/lib/engines/credentials.js';
import type { LogRecord } from '../src/lib/services/log-agent/contract.js';
import { flix, sleep, waitFor } from './helpers/cli.js';
import { createUser, ingestGoodClip, originOf, SHARED_CLUSTER, status, unique } from './helpers/cluster.js';

/**
 * The cluster's logs on the shared cluster: every kind of component's lines searchable in
 * Elasticsearch through `flix logs`, one user's requests across the services in time order, and
 * the agent killed in the middle of a stream of lines losing none and storing none twice — in the
 * index and in the hourly archive on the origin.
 */
const name = SHARED_CLUSTER;

async function logs(args: string[]): Promise<{ records: LogRecord[]; total: number }> {
  const r = await flix(['logs', '--name', name, '--json', ...args]);
  if (r.exitCode !== 0) throw new Error(`flix logs ${args.join(' ')} exited ${r.exitCode}: ${r.stderr}`);
  return r.json;
}

describe('flix logs', () => {
  it.each([
    ['a flix service', 'gateway-a-1', 'service'],
    ['Kafka', 'kafka', 'engine'],
    ['Cassandra', 'cassandra', 'engine'],
    ['Elasticsearch', 'elasticsearch', 'engine'],
    ['MySQL', 'mysql', 'engine'],
    ['the S3 origin', 'origin', 'engine'],
    ['memcached', 'memcached-a', 'engine'],
    ['the supervisor', 'supervisor', 'supervisor'],
  ])("finds %s's lines by component, each with a time and level", async (_what, component, source) => {
    const { records } = await waitFor(
      `log records of ${component}`,
      async () => {
        const r = await logs(['--component', component, '--limit', '20']);
        return r.records.length > 0 && r;
      },
      60_000,
    );
    for (const r of records) {
      expect(r).toMatchObject({ component, source });
      expect(Number.isNaN(Date.parse(r.time))).toBe(false);
      // each engine's own layout is read, not kept as text: its time moved out of the message
      expect(r.msg).not.toMatch(/^\[?(\d{4}[-/]\d{2}[-/]\d{2}|[TDIWE] \d{2}-\d{2} )/);
    }
  });

  it("shows one user's play across gateway, playback and steering in time order, and an edge's access lines", async () => {
    const user = unique('logs-viewer');
    await createUser(user);
    const title = `Log Walk ${unique('logs')}`;
    const titleId = await ingestGoodClip(title);
    const play = await flix(['play', title, '--user', user, '--duration', '4s', '--name', name, '--json']);
    expect(play.exitCode, play.stderr).toBe(0);

    const seen = await waitFor(
      `the logs of ${user}'s play`,
      async () => {
        const r = await logs(['--user', user, '--since', '10m']);
        const services = new Set(r.records.map((x) => x.service));
        return ['gateway', 'playback', 'steering'].every((s) => services.has(s)) && r;
      },
      60_000,
    );
    const times = seen.records.map((r) => Date.parse(r.time));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(new Set(seen.records.map((r) => r.userId)).size).toBe(1);
    // the play request's hops share the trace id the gateway gave it
    const atGateway = seen.records.find((r) => r.service === 'gateway' && r.fields?.path === '/api/play');
    const atPlayback = seen.records.find((r) => r.service === 'playback' && r.fields?.path === '/v1/play');
    expect(atGateway?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(atPlayback?.traceId).toBe(atGateway?.traceId);
    const traced = await logs(['--trace', play.json.traceId]);
    expect(traced.records.map((r) => r.service)).toEqual(
      expect.arrayContaining(['gateway', 'steering', 'playback']),
    );
    expect(traced.records.every((r) => r.traceId === play.json.traceId)).toBe(true);

    const edge = await waitFor(
      'edge access lines of the title',
      async () => {
        const r = await logs(['--component', play.json.edges[0].name, '--grep', titleId]);
        return r.records.length > 0 && r;
      },
      60_000,
    );
    expect(edge.records[0]).toMatchObject({ source: 'access', service: 'edge' });
    expect(edge.records[0]?.fields).toMatchObject({ title: titleId, status: 200 });
  });

  describe('when the log agent is killed in the middle of a stream', () => {
    const component = unique('crash');
    const file = join(clusterPaths(name).logs, `${component}.log`);
    const LINES = 20_000;
    const line = (i: number) => `line ${String(i).padStart(5, '0')} of ${component}`;
    // a service writing steadily, 1,000 lines a second in chunks of 100 (a pace, not a wait)
    let written = 0;
    const write = async () => {
      for (let i = 0; i < LINES; i += 100, written = i) {
        const chunk: string[] = [];
        for (let j = i; j < i + 100; j++) chunk.push(line(j));
        await appendFile(file, `${chunk.join('\n')}\n`);
        await sleep(100);
      }
    };
    const countIndexed = async () => (await logs(['--component', component, '--limit', '1'])).total;

    beforeAll(async () => {
      await writeFile(file, '');
    });
    afterAll(async () => {
      await rm(file, { force: true });
    });

    it('every line is searchable exactly once', async () => {
      const writing = write();
      // the agent finds a new file within seconds and is part-way through it when it is killed
      await waitFor('the first lines indexed', async () => (await countIndexed()) > 0, 60_000);
      const agent = (await status()).find((c) => c.name === 'log-agent-1');
      expect(agent).toBeDefined();
      expect(written).toBeLessThan(LINES);
      process.kill(agent?.pid as number, 'SIGKILL');
      await waitFor(
        'the agent restarted',
        async () => {
          const now = (await status()).find((c) => c.name === 'log-agent-1');
          return now && now.pid !== agent?.pid && now.state === 'healthy';
        },
        60_000,
      );
      await writing;
      // lines written while no agent ran are read by the next one
      await waitFor(`all ${LINES} lines indexed`, async () => (await countIndexed()) >= LINES, 90_000);
      expect(await countIndexed()).toBe(LINES);
      // in order, with nothing missing: the oldest and newest of them are the first and last written
      const newest = await logs(['--component', component, '--limit', '1']);
      expect(newest.records[0]?.msg).toBe(line(LINES - 1));
      const found = await logs(['--component', component, '--grep', line(0)]);
      expect(found.records.map((r) => r.msg)).toEqual([line(0)]);
    });

    it('the hourly archive on the origin holds every line once', async () => {
      const s3 = await originOf(name);
      const archived = await waitFor(
        `all ${LINES} lines archived`,
        async () => {
          const list = await s3.send(new ListObjectsV2Command({ Bucket: logsBucket, Prefix: 'logs/' }));
          const keys = (list.Contents ?? [])
            .map((o) => o.Key as string)
            .filter((k) => k.endsWith(`/${component}.jsonl.gz`));
          const msgs: string[] = [];
          for (const Key of keys) {
            const o = await s3.send(new GetObjectCommand({ Bucket: logsBucket, Key }));
            const text = gunzipSync(
              Buffer.from(
                await (o.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
              ),
            ).toString('utf8');
            for (const l of text.split('\n')) if (l) msgs.push((JSON.parse(l) as LogRecord).msg);
          }
          return msgs.length >= LINES && msgs;
        },
        60_000,
      );
      expect(archived.length).toBe(LINES);
      expect(new Set(archived).size).toBe(LINES);
      expect(archived.sort()).toEqual(Array.from({ length: LINES }, (_, i) => line(i)));
    });
  });
});
