#!/usr/bin/env node
// @ts-check
// Engagement benchmark (run on purpose, never as a test). Search: p50/p99 through the ELB at
// --rate req/s over --titles catalog entries, against the same queries straight to Elasticsearch,
// in alternating one-second blocks. Write path: votes and heartbeats per second through the API
// at --concurrency, against the bare cassandra-driver writing the same rows. Resume lag: a
// heartbeat on one device until a play on another starts there. `node bench/engage.mjs --help`.
import { randomBytes } from 'node:crypto';
import cassandra from 'cassandra-driver';
import { endpointsFromPlan, readPlan } from '../dist/lib/cluster/endpoints.js';
import { clusterSecrets } from '../dist/lib/cluster/secrets.js';
import { mysqlPool } from '../dist/lib/engines/mysql/client.js';
import { kafkaFor, publishEvent, topics } from '../dist/lib/platform/events.js';
import { titleId, titleKey } from '../dist/lib/services/catalog/contract.js';
import { searchQuery } from '../dist/lib/services/search/contract.js';
import { searchRequest } from '../dist/lib/services/search/query.js';
import { number, parseArgs, string } from './lib/args.mjs';
import { cleanup, onCleanup } from './lib/cleanup.mjs';
import { shortSource } from './lib/fixtures.mjs';
import { flixCli, upCluster } from './lib/flix.mjs';
import { keepAlive, request } from './lib/http.mjs';
import {
  addCpuSince,
  componentKinds,
  cores,
  cpuPerOp,
  cpuSnapshot,
  loadAverage,
  untilIdle,
} from './lib/proc.mjs';
import { writeResults } from './lib/results.mjs';
import { percentiles } from './lib/stats.mjs';
import { ms, printTable } from './lib/table.mjs';

const options = {
  titles: number(1000, 'catalog entries to search over (one ingested title under that many names)'),
  rate: number(200, 'search requests per second, open loop'),
  seconds: number(10, 'seconds measured per target and phase'),
  concurrency: number(16, 'writers at once in the vote and heartbeat phases'),
  resumes: number(40, 'pause-on-one-device, play-on-another trials'),
  keepCluster: string(
    null,
    'use this running cluster (and leave it running) instead of starting bench-engage',
    'NAME',
  ),
};
const o = parseArgs(process.argv.slice(2), {
  usage: 'node bench/engage.mjs [options]\n\nSearch latency, vote and heartbeat throughput, resume lag.',
  options,
});
const log = (/** @type {string} */ s) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${s}`);
const cli = flixCli(o.keepCluster ?? 'bench-engage');
if (!o.keepCluster) {
  const { down } = upCluster(cli, new URL('./playback-cluster.yaml', import.meta.url).pathname, { log });
  onCleanup(() => void down());
}

const words = [
  'amber',
  'broken',
  'crimson',
  'distant',
  'electric',
  'frozen',
  'golden',
  'hidden',
  'iron',
  'jade',
  'lost',
  'midnight',
  'northern',
  'silent',
  'wild',
];
const nouns = [
  'river',
  'empire',
  'garden',
  'signal',
  'harbor',
  'voyage',
  'machine',
  'forest',
  'kingdom',
  'letter',
  'mirror',
  'orbit',
  'station',
  'tide',
  'winter',
];
const pick = (/** @type {string[]} */ xs) => xs[Math.floor(Math.random() * xs.length)] ?? '';
/** a typo: one letter dropped from the middle */
const typo = (/** @type {string} */ w) => w.slice(0, 2) + w.slice(3);

try {
  const components = cli.json('status', '--json').components;
  const endpoint = (/** @type {string} */ n) =>
    components.find((/** @type {any} */ c) => c.name === n)?.endpoint;
  const elb = endpoint('elb-1');
  const kinds = componentKinds(components);
  /** CPU ms per operation of a phase, by kind of component */
  /** @type {Record<string, string>} */
  const cpu = {};
  /**
   * @template T
   * @param {string} phase
   * @param {() => Promise<T>} run
   * @param {(r: T) => number} ops
   */
  const measured = async (phase, run, ops) => {
    const since = cpuSnapshot(kinds);
    const r = await run();
    cpu[phase] = cpuPerOp(addCpuSince({}, since, kinds), Math.max(1, ops(r))).text;
    return r;
  };
  const plan = await readPlan(cli.name);
  if (!plan) throw new Error(`no plan of ${cli.name}`);
  const endpoints = endpointsFromPlan(cli.name, plan.components);
  const secrets = await clusterSecrets(cli.name);
  log(`load ${loadAverage()} on ${cores()} cores`);

  // one real title, then --titles catalog entries of its media under generated names
  const base = cli.json('ingest', shortSource, '--title', `engage-base-${Date.now()}`, '--wait', '--json').id;
  const db = mysqlPool(endpoints, secrets);
  const kafka = kafkaFor(endpoints, 'bench-engage');
  const producer = kafka.producer();
  await producer.connect();
  /** @type {string[]} */
  const ids = [];
  for (let i = 0; i < o.titles; i++) {
    const name = `${pick(words)} ${pick(nouns)} ${i}`.replace(/^./, (c) => c.toUpperCase());
    const id = titleId(name, randomBytes(3).toString('hex'));
    await db.query(
      `INSERT INTO titles (id, title, title_key, year, genres, regions, status, source_file, source_key, source_bytes, media, published, published_at)
       SELECT ?, ?, ?, 2000 + (? % 25), JSON_ARRAY(ELT(1 + ? % 3, 'drama', 'comedy', 'documentary')), JSON_ARRAY('*'), 'ready', source_file, source_key, source_bytes, media, published, CURRENT_TIMESTAMP(3)
       FROM titles WHERE id = ?`,
      [id, name, titleKey(name), i, i, base],
    );
    await publishEvent(producer, topics.titlePublished.name, id, { type: 'title.published', titleId: id });
    ids.push(id);
  }
  await producer.disconnect();
  const es = endpoints.elasticsearch ?? '';
  for (;;) {
    const r = await request(`${es}/titles/_count`);
    const n = JSON.parse(r.body?.toString() ?? '{}').count ?? 0;
    if (n >= o.titles) break;
    log(`indexed ${n}/${o.titles}`);
    await new Promise((r) => setTimeout(r, 1000));
  }

  const user = cli.json('users', 'create', `bench-${Date.now()}`, '--plan', 'premium', '--json');
  const auth = { authorization: `Bearer ${user.token}` };
  // one viewer per writer: votes and heartbeats of one user share a Cassandra partition, and
  // compare-and-sets on one partition take turns (a real audience is many users)
  /** @type {Array<{ token: string, userId: string, playId: string }>} */
  const viewers = [];
  for (let w = 0; w < o.concurrency; w++) {
    const v = cli.json('users', 'create', `bench-w${w}-${Date.now()}`, '--plan', 'premium', '--json');
    viewers.push({ token: v.token, userId: v.user.id, playId: '' });
  }
  const agent = keepAlive(64);
  const queries = () => {
    const w = pick(words);
    const n = pick(nouns);
    return pick([`${typo(w)} ${n}`, `${w} ${n.slice(0, 3)}`, `${w} ${typo(n)}`, `${w}`]);
  };

  // --- search: the API through the ELB vs the same request body straight to Elasticsearch
  /** @type {{ api: number[], elasticsearch: number[] }} */
  const lat = { api: [], elasticsearch: [] };
  const failed = { api: 0, elasticsearch: 0, degraded: 0 };
  /** @type {Record<string, number>} */
  const apiErrors = {};
  const send = async (/** @type {'api' | 'elasticsearch'} */ target, /** @type {number} */ at) => {
    const q = queries();
    const { index: _i, ...body } = searchRequest(searchQuery.parse({ q, limit: '20' }), {
      userId: user.user.id,
      region: 'US',
    });
    try {
      const r =
        target === 'api'
          ? await request(`${elb}/api/search?q=${encodeURIComponent(q)}`, { headers: auth, agent })
          : await request(`${es}/titles/_search`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(body),
              agent,
            });
      if (r.status !== 200) {
        failed[target]++;
        if (target === 'api') {
          const code = `${r.status} ${JSON.parse(r.body?.toString() || '{}').error?.code ?? ''}`.trim();
          apiErrors[code] = (apiErrors[code] ?? 0) + 1;
        }
      } else if (target === 'api' && JSON.parse(r.body?.toString() ?? '{}').degraded) failed.degraded++;
      lat[target].push(r.end - at);
    } catch {
      failed[target]++;
    }
  };
  /** the machine's state when each phase began: a loaded machine measures itself, not flix */
  /** @type {Record<string, { idle: number, load: string }>} */
  const machine = {};
  const settle = async (/** @type {string} */ phase) => {
    const idle = await untilIdle(0.8, 120_000);
    machine[phase] = { idle, load: loadAverage() };
    log(`${phase}: ${(idle * 100).toFixed(0)} % idle, load ${loadAverage()}`);
  };
  await settle('search');
  log(`search: ${o.rate} req/s, ${o.seconds} s per target in 1 s blocks (after 2 warm-up blocks)`);
  /** @type {Record<string, number>} */
  const searchCpu = {};
  for (let block = -2; block < 2 * o.seconds; block++) {
    const since = cpuSnapshot(kinds);
    const target = block % 2 === 0 ? 'api' : 'elasticsearch';
    const start = performance.now() + 1;
    const inflight = [];
    for (let k = 0; k < o.rate; k++) {
      const at = start + (k * 1000) / o.rate;
      const wait = at - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      inflight.push(send(target, at));
    }
    await Promise.all(inflight);
    if (block >= 0 && target === 'api') addCpuSince(searchCpu, since, kinds);
    if (block === -1) {
      lat.api.length = 0;
      lat.elasticsearch.length = 0;
      failed.api = failed.elasticsearch = failed.degraded = 0;
    }
  }
  const searchApi = percentiles(lat.api ?? []);
  cpu['search via ELB'] = cpuPerOp(searchCpu, Math.max(1, lat.api.length)).text;
  const searchEs = percentiles(lat.elasticsearch ?? []);

  // --- write path: closed loop at --concurrency for --seconds
  /** @param {(worker: number, i: number) => Promise<void>} op */
  const closedLoop = async (op) => {
    /** @type {number[]} */
    const xs = [];
    let errors = 0;
    const until = performance.now() + o.seconds * 1000;
    await Promise.all(
      Array.from({ length: o.concurrency }, async (_, w) => {
        for (let i = 0; performance.now() < until; i++) {
          const t0 = performance.now();
          try {
            await op(w, i);
            xs.push(performance.now() - t0);
          } catch {
            errors++;
          }
        }
      }),
    );
    return { perSecond: xs.length / o.seconds, errors, ...percentiles(xs) };
  };
  const vote = (/** @type {number} */ i) => (i % 2 === 0 ? 'like' : 'dislike');
  await settle('votes');
  log(`votes through the API, ${o.concurrency} at once`);
  const votesApi = await measured(
    'votes via ELB',
    () =>
      closedLoop(async (w, i) => {
        const t = ids[(w * 7919 + Math.floor(i / 2)) % ids.length];
        const r = await request(`${elb}/api/votes/${t}`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${viewers[w]?.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ vote: vote(i) }),
          agent,
        });
        if (r.status !== 200) throw new Error(String(r.status));
      }),
    (r) => r.count,
  );
  const cql = new cassandra.Client({
    contactPoints: [endpoints.cassandra ?? ''],
    localDataCenter: 'datacenter1',
    keyspace: 'flix',
  });
  await cql.connect();
  log('the same rows with the bare cassandra-driver (no compare-and-set)');
  const votesBare = await measured(
    'votes, bare driver',
    () =>
      closedLoop(async (w, i) => {
        const t = ids[(w * 7919 + Math.floor(i / 2)) % ids.length];
        await cql.execute(
          'UPDATE votes_by_user SET vote = ?, voted_at = toTimestamp(now()) WHERE user_id = ? AND title_id = ?',
          [vote(i), `bare-${w}-${user.user.id}`, t],
          { prepare: true },
        );
        const d = cassandra.types.Long.fromNumber(i % 2 === 0 ? 1 : -1);
        await cql.execute(
          'UPDATE title_counts SET likes = likes + ?, dislikes = dislikes - ? WHERE title_id = ?',
          [d, d, t],
          { prepare: true },
        );
      }),
    (r) => r.count,
  );

  log(`heartbeats through the API, ${o.concurrency} plays at once`);
  for (const v of viewers) {
    const p = await request(`${elb}/api/play`, {
      method: 'POST',
      headers: { authorization: `Bearer ${v.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: base }),
      agent,
    });
    v.playId = JSON.parse(p.body?.toString() ?? '{}').playId;
  }
  await settle('heartbeats');
  const heartbeatsApi = await measured(
    'heartbeats via ELB',
    () =>
      closedLoop(async (w, i) => {
        const v = viewers[w];
        if (!v) return;
        const r = await request(`${elb}/api/play/${v.playId}/heartbeat`, {
          method: 'POST',
          headers: { authorization: `Bearer ${v.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ position: i % 5, sentAt: Date.now() }),
          agent,
        });
        if (r.status !== 204) throw new Error(String(r.status));
      }),
    (r) => r.count,
  );
  const heartbeatsBare = await measured(
    'heartbeats, bare driver',
    () =>
      closedLoop(async (w, i) => {
        const at = Date.now();
        await cql.execute(
          'INSERT INTO history_live (user_id, title_id, position, device, event_at) VALUES (?, ?, ?, ?, ?) USING TIMESTAMP ?',
          [`bare-${w}`, base, i % 5, 'bench', new Date(at), cassandra.types.Long.fromNumber(at * 1000)],
          { prepare: true },
        );
      }),
    (r) => r.count,
  );
  for (const v of viewers)
    await request(`${elb}/api/play/${v.playId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${v.token}` },
      agent,
    });

  // --- resume lag: a heartbeat on the tv, then plays on the phone until one starts there
  await settle('resume');
  log(`resume lag, ${o.resumes} trials`);
  const r0 = viewers[0];
  /** @type {number[]} */
  const lags = [];
  if (r0) {
    for (let k = 0; k < o.resumes; k++) {
      const position = 1 + (k % 3) + k / 100;
      const tv = JSON.parse(
        (
          await request(`${elb}/api/play`, {
            method: 'POST',
            headers: { authorization: `Bearer ${r0.token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ title: base, device: 'tv' }),
            agent,
          })
        ).body?.toString() ?? '{}',
      );
      await request(`${elb}/api/play/${tv.playId}/heartbeat`, {
        method: 'POST',
        headers: { authorization: `Bearer ${r0.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ position, sentAt: Date.now(), device: 'tv' }),
        agent,
      });
      const t0 = performance.now();
      await request(`${elb}/api/play/${tv.playId}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${r0.token}` },
        agent,
      });
      for (;;) {
        const phone = JSON.parse(
          (
            await request(`${elb}/api/play`, {
              method: 'POST',
              headers: { authorization: `Bearer ${r0.token}`, 'content-type': 'application/json' },
              body: JSON.stringify({ title: base, device: 'phone' }),
              agent,
            })
          ).body?.toString() ?? '{}',
        );
        await request(`${elb}/api/play/${phone.playId}`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${r0.token}` },
          agent,
        });
        if (phone.position === position) break;
        if (performance.now() - t0 > 30_000) throw new Error('the phone never resumed at the tv position');
      }
      lags.push(performance.now() - t0);
    }
  }
  const resume = percentiles(lags);
  await cql.shutdown();
  await db.end();

  console.log(`\nengage benchmark: ${o.titles} titles, load ${loadAverage()} on ${cores()} cores\n`);
  printTable(
    ['what', 'count', 'per s', 'p50 ms', 'p99 ms', 'max ms', 'errors'],
    [
      [
        'search via ELB',
        searchApi.count,
        (searchApi.count / o.seconds).toFixed(0),
        ms(searchApi.p50),
        ms(searchApi.p99),
        ms(searchApi.max),
        `${failed.api} (${failed.degraded} degraded)`,
      ],
      [
        'search, ES direct',
        searchEs.count,
        (searchEs.count / o.seconds).toFixed(0),
        ms(searchEs.p50),
        ms(searchEs.p99),
        ms(searchEs.max),
        failed.elasticsearch,
      ],
      [
        'votes via ELB',
        votesApi.count,
        votesApi.perSecond.toFixed(0),
        ms(votesApi.p50),
        ms(votesApi.p99),
        ms(votesApi.max),
        votesApi.errors,
      ],
      [
        'votes, bare driver',
        votesBare.count,
        votesBare.perSecond.toFixed(0),
        ms(votesBare.p50),
        ms(votesBare.p99),
        ms(votesBare.max),
        votesBare.errors,
      ],
      [
        'heartbeats via ELB',
        heartbeatsApi.count,
        heartbeatsApi.perSecond.toFixed(0),
        ms(heartbeatsApi.p50),
        ms(heartbeatsApi.p99),
        ms(heartbeatsApi.max),
        heartbeatsApi.errors,
      ],
      [
        'heartbeats, bare driver',
        heartbeatsBare.count,
        heartbeatsBare.perSecond.toFixed(0),
        ms(heartbeatsBare.p50),
        ms(heartbeatsBare.p99),
        ms(heartbeatsBare.max),
        heartbeatsBare.errors,
      ],
      ['resume lag', resume.count, '-', ms(resume.p50), ms(resume.p99), ms(resume.max), 0],
    ],
  );
  console.log('\nCPU ms per operation, by component:');
  for (const [phase, text] of Object.entries(cpu)) console.log(`  ${phase}: ${text}`);
  if (Object.keys(apiErrors).length)
    console.log(`search errors through the ELB: ${JSON.stringify(apiErrors)}`);
  for (const [phase, m] of Object.entries(machine))
    console.log(`${phase}: began at ${(m.idle * 100).toFixed(0)} % idle, load ${m.load}`);
  writeResults('engage', {
    options: o,
    machine,
    cpu,
    apiErrors,
    load: loadAverage(),
    searchApi,
    searchEs,
    failed,
    votesApi,
    votesBare,
    heartbeatsApi,
    heartbeatsBare,
    resume,
  });
} finally {
  cleanup();
}
