#!/usr/bin/env node
// Playback path benchmark (run on purpose, never as a test). On one cluster it starts itself
// (bench/playback-cluster.yaml: cluster/ci.yaml with the gateway's rate limits raised), after
// ingesting a source twice (a cold and a warm title) and creating a user:
//
// 1. start-play latency, cold and warm: N viewers start together; a viewer = POST {elb}/api/play,
//    then GET the first edge's HLS master playlist, the lowest-bandwidth variant's media playlist,
//    its EXT-X-MAP init segment and the first media segment up to its first byte.
//    latency = play request sent -> first byte of that segment. Cold: a title nobody played (edge
//    caches empty for it); warm: after `flix prewarm` and one warm-up play. The play API call alone
//    is reported too.
// 2. what the ELB + gateway add: GET {elb}/api/titles/<id> (bearer token) against
//    GET {catalog-a-1}/v1/titles/<id> (the headers the gateway sends), open loop at --rate req/s
//    (fixed arrival schedule; latency counted from the scheduled send time, so a stalled server or
//    client cannot hide queueing), alternating one-second blocks so both see the same machine.
// 3. edge throughput: the title's segments through the edge (signed URLs, cache HITs after a
//    prewarm) against a plain nginx serving the same files from disk (same server settings as
//    templates/nginx/edge.conf, sendfile on), same client, concurrency --concurrency, alternating
//    blocks; requests/s, MB/s, latency percentiles and the CPU the server processes used.
//
//   node bench/playback.mjs [--viewers 50] [--rounds 5] [--sequential 20] [--rate 1000[,200...]] [--seconds 10]
//        [--concurrency 16] [--skip-cold] [--source FILE] [--parts 1,2,3] [--keep-cluster NAME]
//
// --arrival-seconds S (default 10): also --viewers viewers arriving at random over S seconds and
// each watching (a segment every 4 s) until the last has started — 50 viewers at once, not a burst.
// --rounds: warm rounds of --viewers viewers (3 s apart); --sequential: warm plays one at a time
// afterwards, as the no-queueing reference. The cold title can be played cold only once: one round.
// Default source fixtures/media/bench-1080p30.mp4 (made by `bash fixtures/make-fixtures.sh bench`
// when missing); --source fixtures/media/good.mp4 ingests much faster.
// --keep-cluster NAME uses a running cluster (and leaves it running) instead of starting bench-play.
// Everything talks to 127.0.0.1 only. Results: bench/results/playback-<timestamp>.json.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'run.js');
const args = process.argv.slice(2);
const opt = (n, d) => (args.includes(`--${n}`) ? args[args.indexOf(`--${n}`) + 1] : d);
const flag = (n) => args.includes(`--${n}`);
const viewers = Number(opt('viewers', '50'));
const rounds = Number(opt('rounds', '5'));
const sequential = Number(opt('sequential', '20'));
// the staggered run: `viewers` viewers arrive over this many seconds and keep watching (one
// segment every 4 s of real time) until the last has started, so ~all of them stream at once
const arrivalSeconds = Number(opt('arrival-seconds', '10'));
// one or more rates (comma-separated), each measured in turn; the first one is the target's
const rates = opt('rate', '1000').split(',').map(Number);
const seconds = Number(opt('seconds', '10'));
const concurrency = Number(opt('concurrency', '16'));
const skipCold = flag('skip-cold');
const parts = new Set(opt('parts', '1,2,3').split(',').map(Number));
const kept = opt('keep-cluster', null);
const name = kept ?? 'bench-play';
const clusterFile = join(import.meta.dirname, 'playback-cluster.yaml');
const source = opt(
  'source',
  [join(root, 'fixtures', 'media', 'bench-1080p30.mp4'), join(root, 'fixtures', 'media', 'good.mp4')].find(
    existsSync,
  ) ?? join(root, 'fixtures', 'media', 'bench-1080p30.mp4'),
);
const cores = Number(execFileSync('nproc').toString().trim());
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

// ---------------------------------------------------------------- helpers

function flix(...a) {
  const r = spawnSync(process.execPath, [bin, ...a, '--name', name], {
    encoding: 'utf8',
    env: { ...process.env, CI: '1' },
    maxBuffer: 64 * 2 ** 20,
  });
  if (r.status !== 0)
    throw Object.assign(
      new Error(`flix ${a.join(' ')} exited ${r.status}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`),
      { exitCode: r.status },
    );
  return r.stdout.trim() ? JSON.parse(r.stdout) : null;
}

const log = (s) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${s}`);

/** Nearest-rank percentiles of a list of milliseconds. */
function stats(xs) {
  const s = Float64Array.from(xs).sort();
  const at = (p) =>
    s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] : null;
  return {
    count: s.length,
    p50: at(50),
    p90: at(90),
    p99: at(99),
    max: s.length ? s[s.length - 1] : null,
    mean: s.length ? s.reduce((a, b) => a + b, 0) / s.length : null,
  };
}
const ms = (x) =>
  x === null || x === undefined
    ? '-'
    : x === Number.POSITIVE_INFINITY
      ? 'failed'
      : x < 10
        ? x.toFixed(2)
        : x.toFixed(1);

function table(headers, rows) {
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) =>
    r.map((c, i) => (i === 0 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join('  ');
  console.log(line(headers));
  console.log(w.map((n) => '-'.repeat(n)).join('  '));
  for (const r of rows) console.log(line(r));
}
const pctRow = (label, s) => [label, s.count, ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max)];

/**
 * One HTTP request with node:http. Resolves with the status, headers, body (unless keepBody is
 * false), byte count and the times (performance.now()) of the first body byte and of the end.
 */
function request(
  url,
  { agent, method = 'GET', headers = {}, body, keepBody = true, timeoutMs = 30_000 } = {},
) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request(
      { hostname: u.hostname, port: u.port, path: u.pathname + u.search, method, headers, agent },
      (res) => {
        let first = null;
        let bytes = 0;
        const chunks = [];
        res.on('data', (c) => {
          if (first === null) first = performance.now();
          bytes += c.length;
          if (keepBody || res.statusCode >= 400) chunks.push(c);
        });
        res.on('end', () => {
          const end = performance.now();
          resolve({
            status: res.statusCode,
            headers: res.headers,
            body: keepBody || res.statusCode >= 400 ? Buffer.concat(chunks) : null,
            bytes,
            firstByte: first ?? end,
            end,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer in ${timeoutMs} ms: ${method} ${url}`)));
    req.end(body);
  });
}

async function requestOk(url, options) {
  const r = await request(url, options);
  if (r.status < 200 || r.status > 299) {
    const text = r.body ? r.body.toString('utf8').slice(0, 300) : '';
    throw new Error(`${options?.method ?? 'GET'} ${url} answered ${r.status} ${text}`);
  }
  return r;
}

/** Sum of user+system CPU seconds of every process in these process groups. */
function groupCpuSeconds(pgids) {
  const groups = new Set(pgids);
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (groups.has(Number(f[2]))) ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // ended while reading
    }
  }
  return ticks / CLK_TCK;
}

/** The cluster's process groups (a component's pid leads its group) -> the kind of component. */
const clusterGroups = new Map();
function setClusterGroups(components) {
  for (const c of components) {
    if (!c.pid) continue;
    // services by service (gateway-a-1, gateway-b-1 -> gateway), engines by engine (edge-a -> edge)
    clusterGroups.set(
      c.pid,
      c.engine === 'service' ? c.name.replace(/(-[a-z][a-z0-9]{0,7})?-\d+$/, '') : c.engine,
    );
  }
}

/** CPU seconds used so far by the cluster, per kind of component, plus this client. */
function cpuSnapshot() {
  const out = {};
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const owner = clusterGroups.get(Number(f[2]));
      if (owner) out[owner] = (out[owner] ?? 0) + (Number(f[11]) + Number(f[12])) / CLK_TCK;
    } catch {
      // ended while reading
    }
  }
  const c = process.cpuUsage();
  out['(this client)'] = (c.user + c.system) / 1e6;
  return out;
}

/** Add the CPU used between snapshot `a` and now to `acc`. */
function addCpu(acc, a) {
  const b = cpuSnapshot();
  for (const [k, v] of Object.entries(b)) acc[k] = (acc[k] ?? 0) + v - (a[k] ?? 0);
  return acc;
}

/** CPU ms per operation, the biggest first: "playback 12.3, gateway 4.1, ...". */
function cpuPerOp(acc, ops, top = 7) {
  const rows = Object.entries(acc)
    .map(([k, v]) => [k, (v * 1000) / ops])
    .sort((x, y) => y[1] - x[1]);
  const total = rows.reduce((a, [, v]) => a + v, 0);
  return {
    perOpMs: Object.fromEntries(rows),
    totalMs: total,
    text: `total ${total.toFixed(1)} = ${rows
      .slice(0, top)
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join(' + ')} + …`,
  };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (t) => new Promise((r) => setTimeout(r, t));

// cleanup that must run however the script ends (finally, SIGINT, SIGTERM)
const cleanups = [];
function cleanup() {
  while (cleanups.length) {
    try {
      cleanups.pop()();
    } catch (e) {
      console.error(`cleanup: ${e.message}`);
    }
  }
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    console.error(`\n${sig}: cleaning up`);
    cleanup();
    process.exit(130);
  });
}

// ---------------------------------------------------------------- part 1: start-play

/** The lowest-BANDWIDTH variant of an HLS master playlist (what a player starts with). */
function lowestVariant(masterText) {
  const lines = masterText.split(/\r?\n/);
  let best = null;
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith('#EXT-X-STREAM-INF:')) continue;
    const bw = Number(/[:,]BANDWIDTH=(\d+)/.exec(lines[i])?.[1] ?? Number.POSITIVE_INFINITY);
    let j = i + 1;
    while (j < lines.length && (lines[j].startsWith('#') || lines[j].trim() === '')) j++;
    if (j < lines.length && (best === null || bw < best.bandwidth))
      best = { bandwidth: bw, uri: lines[j].trim() };
  }
  if (!best)
    throw new Error(`no #EXT-X-STREAM-INF variant in the master playlist:\n${masterText.slice(0, 500)}`);
  return best;
}

/** The EXT-X-MAP init URI and the first media segment URI of a media playlist. */
function firstSegment(mediaText) {
  const map = /#EXT-X-MAP:.*URI="([^"]+)"/.exec(mediaText)?.[1] ?? null;
  const lines = mediaText.split(/\r?\n/);
  const extinf = lines.findIndex((l) => l.startsWith('#EXTINF'));
  const seg = lines
    .slice(Math.max(0, extinf))
    .find((l) => l.trim() && !l.startsWith('#'))
    ?.trim();
  if (!seg) throw new Error(`no media segment in the playlist:\n${mediaText.slice(0, 500)}`);
  return { init: map, segment: seg };
}

/** One viewer starting to play: its own keep-alive agent, as a player has its own connections. */
async function viewer(api, token, title, { keepWatching = false } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  let handedOver = false;
  try {
    const t0 = performance.now();
    const play = await requestOk(`${api}/api/play`, {
      agent,
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title }),
    });
    const answer = JSON.parse(play.body.toString('utf8'));
    const edge = answer.edges?.[0];
    if (!edge?.hls)
      throw new Error(`play answer without edges[0].hls: ${play.body.toString('utf8').slice(0, 400)}`);
    const master = await requestOk(edge.hls, { agent });
    const variant = new URL(lowestVariant(master.body.toString('utf8')).uri, edge.hls).href;
    const media = await requestOk(variant, { agent });
    const { init, segment } = firstSegment(media.body.toString('utf8'));
    const initRes = init ? await requestOk(new URL(init, variant).href, { agent }) : null;
    const tSeg = performance.now();
    const seg = await requestOk(new URL(segment, variant).href, { agent, keepBody: false });
    const mediaLines = media.body
      .toString('utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    handedOver = keepWatching;
    return {
      watch: keepWatching ? { agent, variant, segments: mediaLines } : undefined,
      ok: true,
      totalMs: seg.firstByte - t0,
      playMs: play.end - t0,
      masterMs: master.end - play.end,
      mediaMs: media.end - master.end,
      initMs: initRes ? initRes.end - media.end : 0,
      segmentFirstByteMs: seg.firstByte - tSeg,
      edge: edge.name,
      reasons: edge.reasons,
      cache: {
        master: master.headers['x-cache-status'] ?? null,
        media: media.headers['x-cache-status'] ?? null,
        init: initRes?.headers['x-cache-status'] ?? null,
        segment: seg.headers['x-cache-status'] ?? null,
      },
    };
  } catch (e) {
    return { ok: false, error: e.message.slice(0, 300) };
  } finally {
    if (!handedOver) agent.destroy();
  }
}

/** Wait (up to 60 s) until a single play works again, e.g. after the gateway opened a circuit. */
async function untilPlayWorks(api, token, title) {
  const deadline = performance.now() + 60_000;
  await sleep(1000);
  for (;;) {
    const r = await viewer(api, token, title);
    if (r.ok) return;
    if (performance.now() > deadline) throw new Error(`plays still fail after 60 s: ${r.error}`);
    await sleep(500);
  }
}

/**
 * One viewer of the staggered run: waits `delayMs`, starts (measured as `viewer` does), then keeps
 * watching — the next segment of its lowest variant every 4 s — until `untilMs` (performance.now()).
 */
async function watchingViewer(api, token, title, delayMs, untilMs) {
  await sleep(delayMs);
  const started = await viewer(api, token, title, { keepWatching: true });
  if (!started.ok) return started;
  const { agent, variant, segments } = started.watch;
  delete started.watch;
  let streamed = 0;
  try {
    for (let i = 1; performance.now() < untilMs; i++) {
      await sleep(4000);
      const seg = segments[i % segments.length];
      await requestOk(new URL(seg, variant).href, { agent, keepBody: false });
      streamed++;
    }
  } catch (e) {
    started.streamError = e.message.slice(0, 200);
  } finally {
    agent.destroy();
  }
  return { ...started, streamed };
}

/** `n` viewers arriving at random over `arrivalSeconds`, each watching until the last has started. */
async function staggeredRound(api, token, title, n) {
  const until = performance.now() + arrivalSeconds * 1000 + 4000;
  return Promise.all(
    Array.from({ length: n }, () =>
      watchingViewer(api, token, title, Math.random() * arrivalSeconds * 1000, until),
    ),
  );
}

/** `n` viewers starting together. */
async function startPlayRound(api, token, title, n) {
  return Promise.all(Array.from({ length: n }, () => viewer(api, token, title)));
}

function summarizeViewers(results) {
  const ok = results.filter((r) => r.ok);
  const pick = (k) => stats(ok.map((r) => r[k]));
  const caches = {};
  for (const r of ok) caches[r.cache.segment ?? 'none'] = (caches[r.cache.segment ?? 'none'] ?? 0) + 1;
  const edges = {};
  for (const r of ok) edges[r.edge] = (edges[r.edge] ?? 0) + 1;
  const errors = {};
  for (const r of results.filter((x) => !x.ok)) {
    // "POST .../api/play answered 503 {...code:"upstream-failed"...}" -> "POST /api/play 503 upstream-failed"
    const m = /^(\w+) http:\/\/[^/]+(\/\S*) answered (\d+).*?"code":"([^"]+)"/.exec(r.error);
    const key = m ? `${m[1]} ${m[2].replace(/\/v\/\d+\/[^/]+\//, '/v/…/')} ${m[3]} ${m[4]}` : r.error;
    errors[key] = (errors[key] ?? 0) + 1;
  }
  return {
    viewers: results.length,
    failed: results.length - ok.length,
    errors,
    startPlay: pick('totalMs'),
    // every viewer, a failed one counted as an infinite latency (so a p99 with >1% failures says so)
    startPlayCountingFailures: stats(results.map((r) => (r.ok ? r.totalMs : Number.POSITIVE_INFINITY))),
    playApi: pick('playMs'),
    master: pick('masterMs'),
    mediaPlaylist: pick('mediaMs'),
    init: pick('initMs'),
    segmentFirstByte: pick('segmentFirstByteMs'),
    segmentCacheStatus: caches,
    edges,
  };
}

// ---------------------------------------------------------------- part 2: open loop

/**
 * Open loop: `rate` requests per second to one target for `blockMs`, each sent at its scheduled
 * time (or as soon after it as the event loop allows); latency = answer end - scheduled time.
 */
async function openLoopBlock(target, rate, blockMs, sink) {
  const interval = 1000 / rate;
  const n = Math.round((rate * blockMs) / 1000);
  const inflight = [];
  const start = performance.now() + 1;
  let k = 0;
  await new Promise((done) => {
    const tick = () => {
      const now = performance.now();
      while (k < n && start + k * interval <= now) {
        const scheduled = start + k * interval;
        k++;
        sink.lateSendMs = Math.max(sink.lateSendMs, now - scheduled);
        inflight.push(
          request(target.url, {
            agent: target.agent,
            headers: target.headers,
            keepBody: false,
            timeoutMs: 10_000,
          }).then(
            (r) => {
              sink.lat.push(r.end - scheduled);
              const code =
                r.status >= 400 ? /"code":"([^"]+)"/.exec(r.body?.toString('utf8') ?? '')?.[1] : null;
              const key = code ? `${r.status} ${code}` : String(r.status);
              sink.statuses[key] = (sink.statuses[key] ?? 0) + 1;
            },
            (e) => {
              sink.lat.push(performance.now() - scheduled);
              sink.statuses[e.code ?? 'error'] = (sink.statuses[e.code ?? 'error'] ?? 0) + 1;
            },
          ),
        );
      }
      if (k < n) setTimeout(tick, Math.max(0, start + k * interval - performance.now()));
      else done();
    };
    setTimeout(tick, 1);
  });
  await Promise.all(inflight);
}

async function compareOpenLoop(targets, rate, secondsEach, { record = true } = {}) {
  const sinks = targets.map(() => ({ lat: [], statuses: {}, lateSendMs: 0, cpu: {} }));
  const blocks = Math.max(1, Math.round(secondsEach));
  for (let b = 0; b < blocks; b++) {
    // alternate the order too, so neither side always runs right after the other
    const order = b % 2 === 0 ? targets.map((_, i) => i) : targets.map((_, i) => targets.length - 1 - i);
    for (const i of order) {
      const cpu0 = cpuSnapshot();
      await openLoopBlock(targets[i], rate, (secondsEach / blocks) * 1000, sinks[i]);
      addCpu(sinks[i].cpu, cpu0);
    }
  }
  if (!record) return null;
  return targets.map((t, i) => ({
    name: t.name,
    url: t.url,
    latency: stats(sinks[i].lat),
    statuses: sinks[i].statuses,
    non200: Object.entries(sinks[i].statuses)
      .filter(([s]) => s !== '200')
      .reduce((a, [, c]) => a + c, 0),
    maxLateSendMs: sinks[i].lateSendMs,
    cpuMsPerRequest: cpuPerOp(sinks[i].cpu, sinks[i].lat.length),
  }));
}

// ---------------------------------------------------------------- part 3: throughput

/** Closed loop: `conc` workers GET the urls round robin for `blockMs`. */
async function throughputBlock(target, conc, blockMs, sink) {
  const deadline = performance.now() + blockMs;
  const t0 = performance.now();
  const cpu0 = groupCpuSeconds(target.pgids);
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (performance.now() < deadline) {
        const url = target.urls[sink.next++ % target.urls.length];
        const s = performance.now();
        try {
          const r = await request(url, { agent: target.agent, keepBody: false, timeoutMs: 10_000 });
          sink.lat.push(r.end - s);
          sink.bytes += r.bytes;
          sink.statuses[r.status] = (sink.statuses[r.status] ?? 0) + 1;
          const c = r.headers['x-cache-status'];
          if (c) sink.cache[c] = (sink.cache[c] ?? 0) + 1;
        } catch (e) {
          sink.statuses[e.code ?? 'error'] = (sink.statuses[e.code ?? 'error'] ?? 0) + 1;
        }
      }
    }),
  );
  sink.elapsedMs += performance.now() - t0;
  sink.serverCpuSeconds += groupCpuSeconds(target.pgids) - cpu0;
}

async function compareThroughput(targets, conc, secondsEach) {
  const sinks = targets.map(() => ({
    lat: [],
    bytes: 0,
    statuses: {},
    cache: {},
    elapsedMs: 0,
    next: 0,
    serverCpuSeconds: 0,
  }));
  const blockSeconds = 2;
  const blocks = Math.max(1, Math.round(secondsEach / blockSeconds));
  const clientCpu0 = process.cpuUsage();
  for (let b = 0; b < blocks; b++) {
    const order = b % 2 === 0 ? targets.map((_, i) => i) : targets.map((_, i) => targets.length - 1 - i);
    for (const i of order) await throughputBlock(targets[i], conc, (secondsEach / blocks) * 1000, sinks[i]);
  }
  const clientCpu = process.cpuUsage(clientCpu0);
  return {
    clientCpuSeconds: (clientCpu.user + clientCpu.system) / 1e6,
    results: targets.map((t, i) => {
      const s = sinks[i];
      const secs = s.elapsedMs / 1000;
      return {
        name: t.name,
        seconds: secs,
        requests: s.lat.length,
        requestsPerSecond: s.lat.length / secs,
        megabytesPerSecond: s.bytes / 1e6 / secs,
        bytes: s.bytes,
        latency: stats(s.lat),
        statuses: s.statuses,
        cacheStatus: s.cache,
        serverCpuSeconds: s.serverCpuSeconds,
        serverCpuMsPerRequest: s.lat.length ? (s.serverCpuSeconds * 1000) / s.lat.length : null,
        serverCpuSecondsPerGB: s.bytes ? s.serverCpuSeconds / (s.bytes / 1e9) : null,
      };
    }),
  };
}

/** The nginx reference: the edge's server settings, serving `www` from disk. */
function nginxConf(prefix, port) {
  return `# bench/playback.mjs: plain nginx serving the title's files from disk, with the server
# settings of templates/nginx/edge.conf (one worker, sendfile, tcp_nopush, keepalive, JSON access log).
user root;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log stderr warn;
events {
    worker_connections 256;
}
http {
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 30s;
    server_tokens off;
    client_body_temp_path ${prefix}/tmp/client_body;
    proxy_temp_path       ${prefix}/tmp/proxy;
    fastcgi_temp_path     ${prefix}/tmp/fastcgi;
    uwsgi_temp_path       ${prefix}/tmp/uwsgi;
    scgi_temp_path        ${prefix}/tmp/scgi;
    log_format flix_json escape=json
        '{"time":"$time_iso8601","method":"$request_method","uri":"$request_uri",'
        '"status":$status,"bytes":$body_bytes_sent,"request_time":$request_time,'
        '"upstream_cache_status":"$upstream_cache_status","title":"",'
        '"edge":"reference","zone":"ref"}';
    access_log ${prefix}/logs/access.log flix_json;
    server {
        listen 127.0.0.1:${port};
        server_name _;
        root ${prefix}/www;
        add_header X-Edge-Zone ref always;
        location / {
        }
    }
}
`;
}

async function startNginx(dir) {
  const port = await freePort();
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConf(dir, port));
  const child = spawn('/usr/sbin/nginx', ['-p', `${dir}/`, '-c', conf, '-e', 'stderr', '-g', 'daemon off;'], {
    detached: true, // its own process group: the CPU of master + worker is summed by group
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => {
    stderr += c;
  });
  let exited = null;
  child.on('exit', (code, sig) => {
    exited = code ?? sig;
  });
  const stop = () => {
    if (exited !== null) return;
    try {
      process.kill(child.pid, 'SIGTERM');
    } catch {
      return;
    }
    // wait (synchronously, so it also works from a signal handler) until the master is gone
    for (let i = 0; i < 50; i++) {
      try {
        process.kill(child.pid, 0);
      } catch {
        return;
      }
      if (
        existsSync(`/proc/${child.pid}/stat`) &&
        /\) Z /.test(readFileSync(`/proc/${child.pid}/stat`, 'utf8'))
      )
        return;
      spawnSync('sleep', ['0.1']);
    }
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
  };
  cleanups.push(stop);
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (exited !== null) throw new Error(`nginx exited (${exited}): ${stderr}`);
    try {
      await request(`${base}/`, { timeoutMs: 500 });
      return { base, pid: child.pid, port, stop, stderr: () => stderr };
    } catch {
      await sleep(50);
    }
  }
  throw new Error(`nginx did not listen on ${port}: ${stderr}`);
}

// ---------------------------------------------------------------- main

const report = {
  startedAt: new Date().toISOString(),
  cluster: name,
  clusterFile: kept ? null : clusterFile,
  cores,
  node: process.version,
  loadAverageAtStart: readFileSync('/proc/loadavg', 'utf8').trim(),
  options: { viewers, rounds, sequential, rates, seconds, concurrency, skipCold, parts: [...parts], source },
  ran: {},
};

log(
  `flix playback benchmark: cluster ${name}, ${cores} cores, node ${process.version}, load ${report.loadAverageAtStart}`,
);
if (!existsSync(source)) {
  log('fixtures missing: bash fixtures/make-fixtures.sh bench');
  execFileSync('bash', [join(root, 'fixtures', 'make-fixtures.sh'), 'bench'], { stdio: 'inherit' });
}

const scratch = mkdtempSync(join(tmpdir(), 'flix-bench-play-'));
cleanups.push(() => rmSync(scratch, { recursive: true, force: true }));

try {
  if (!kept) {
    const down = () => {
      log(`flix down --purge --name ${name}`);
      const r = spawnSync(process.execPath, [bin, 'down', '--purge', '--json', '--name', name], {
        encoding: 'utf8',
        env: { ...process.env, CI: '1' },
      });
      if (r.status !== 0) console.error(`flix down exited ${r.status}: ${r.stdout}${r.stderr}`);
    };
    log(`flix up --cluster ${clusterFile} --name ${name} ...`);
    const t0 = performance.now();
    try {
      flix('up', '--cluster', clusterFile, '--json');
    } catch (e) {
      // exit 6: a cluster of that name is already running; it is not ours to stop
      if (e.exitCode === 6)
        throw new Error(`a cluster named ${name} is already running: stop it, or use --keep-cluster ${name}`);
      down(); // a failed up stops what it started; this also purges its data
      throw e;
    }
    cleanups.push(down);
    report.upSeconds = (performance.now() - t0) / 1000;
    log(`cluster up in ${report.upSeconds.toFixed(0)} s`);
  }
  const status = flix('status', '--json');
  const component = (n) => status.components.find((c) => c.name === n);
  setClusterGroups(status.components);
  const elb = component('elb-1')?.endpoint;
  const catalogA = component('catalog-a-1')?.endpoint;
  if (!elb) throw new Error('the cluster has no elb-1 component');
  report.endpoints = { elb, catalogA };
  log(`ELB ${elb}, catalog-a-1 ${catalogA}`);

  const created = flix('users', 'create', `bench-${process.pid}`, '--region', 'US', '--json');
  const token = created.token;
  const userId = created.user.id;

  const ingest = (label) => {
    const t0 = performance.now();
    const r = flix(
      'ingest',
      source,
      '--title',
      `bench play ${label} ${process.pid}`,
      '--regions',
      'US',
      '--wait',
      '--json',
    );
    log(`ingested ${r.id} (${label}) in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    return r.id;
  };
  log(`ingesting ${source} ...`);
  const warmTitle = ingest('warm');
  const coldTitle = skipCold || !parts.has(1) ? null : ingest('cold');
  report.titles = { warm: warmTitle, cold: coldTitle };

  // ------------------------------------------------------------ part 1
  if (parts.has(1)) {
    const part1 = {};
    if (coldTitle) {
      // services warm (one play of the other title), the title cold: nobody played it, no edge holds it
      await untilPlayWorks(elb, token, warmTitle);
      log(`part 1: ${viewers} viewers start the cold title ${coldTitle} together`);
      const results = await startPlayRound(elb, token, coldTitle, viewers);
      part1.cold = { title: coldTitle, rounds: 1, ...summarizeViewers(results), raw: results };
    }
    log(`part 1: prewarm ${warmTitle}`);
    const t0 = performance.now();
    part1.prewarm = flix('prewarm', '--title', warmTitle, '--json');
    part1.prewarmSeconds = (performance.now() - t0) / 1000;
    const warmup = await viewer(elb, token, warmTitle);
    if (!warmup.ok) throw new Error(`warm-up play failed: ${warmup.error}`);
    log(`part 1: ${rounds} rounds of ${viewers} viewers starting the warm title together`);
    const all = [];
    const cpu = {};
    for (let r = 0; r < rounds; r++) {
      // so an opened circuit or a backlog of one round does not spill into the next
      await untilPlayWorks(elb, token, warmTitle);
      const cpu0 = cpuSnapshot();
      all.push(...(await startPlayRound(elb, token, warmTitle, viewers)));
      addCpu(cpu, cpu0);
    }
    part1.warm = {
      title: warmTitle,
      rounds,
      ...summarizeViewers(all),
      cpuMsPerViewer: cpuPerOp(cpu, all.length),
      warmup,
      raw: all,
    };
    if (viewers > 0 && arrivalSeconds > 0) {
      log(`part 1: ${viewers} viewers arriving over ${arrivalSeconds} s and watching together`);
      await untilPlayWorks(elb, token, warmTitle);
      const cpu0 = cpuSnapshot();
      const cpuS = {};
      const watched = await staggeredRound(elb, token, warmTitle, viewers);
      addCpu(cpuS, cpu0);
      part1.warmStaggered = {
        title: warmTitle,
        rounds: 1,
        arrivalSeconds,
        ...summarizeViewers(watched),
        segmentsStreamed: watched.reduce((a, w) => a + (w.streamed ?? 0), 0),
        streamErrors: watched.filter((w) => w.streamError).length,
        cpuMsPerViewer: cpuPerOp(cpuS, watched.length),
        raw: watched,
      };
    }
    if (sequential > 0) {
      // reference: the same viewer, one at a time (no queueing behind other viewers)
      log(`part 1: ${sequential} warm plays one at a time`);
      await untilPlayWorks(elb, token, warmTitle);
      const one = [];
      const cpu1 = {};
      const cpu0 = cpuSnapshot();
      for (let i = 0; i < sequential; i++) one.push(await viewer(elb, token, warmTitle));
      addCpu(cpu1, cpu0);
      part1.warmSequential = {
        title: warmTitle,
        rounds: sequential,
        ...summarizeViewers(one),
        cpuMsPerViewer: cpuPerOp(cpu1, one.length),
        raw: one,
      };
    }
    report.part1 = part1;
    report.ran.part1 = true;
  }

  // ------------------------------------------------------------ part 2
  if (parts.has(2)) {
    if (!catalogA) throw new Error('the cluster has no catalog-a-1 component');
    const mk = (n, url, headers) => ({
      name: n,
      url,
      headers,
      agent: new http.Agent({ keepAlive: true, maxSockets: 256 }),
    });
    const targets = [
      mk('ELB + gateway → catalog', `${elb}/api/titles/${warmTitle}`, { authorization: `Bearer ${token}` }),
      mk('catalog-a-1 directly', `${catalogA}/v1/titles/${warmTitle}`, {
        'x-flix-user-id': userId,
        'x-flix-user-region': 'US',
      }),
    ];
    for (const t of targets) await requestOk(t.url, { headers: t.headers });
    report.part2 = [];
    for (const rate of rates) {
      log(`part 2: warm-up, ${rate} req/s open loop, 2 s each`);
      await compareOpenLoop(targets, rate, 2, { record: false });
      await sleep(2000);
      log(`part 2: ${rate} req/s open loop, ${seconds} s each, alternating 1 s blocks`);
      const [viaElb, direct] = await compareOpenLoop(targets, rate, seconds);
      const diff = Object.fromEntries(
        ['p50', 'p90', 'p99', 'max', 'mean'].map((k) => [k, viaElb.latency[k] - direct.latency[k]]),
      );
      report.part2.push({ rate, secondsEach: seconds, viaElb, direct, overheadMs: diff });
      report.ran.part2 = true;
      await sleep(2000);
    }
    for (const t of targets) t.agent.destroy();
  }

  // ------------------------------------------------------------ part 3
  if (parts.has(3)) {
    const show = flix('titles', 'show', warmTitle, '--json');
    const objects = show.objects;
    const prefixOf = `titles/${warmTitle}/`;
    const play = await requestOk(`${elb}/api/play`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: warmTitle }),
    });
    const edge = JSON.parse(play.body.toString('utf8')).edges[0];
    const signedPrefix = edge.hls.slice(
      0,
      edge.hls.indexOf(`/titles/${warmTitle}/`) + `/titles/${warmTitle}/`.length,
    );
    const edgeComponent = component(edge.name);
    log(`part 3: downloading ${objects.length} objects through ${edge.name} into ${scratch}/www`);
    const www = join(scratch, 'www');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    let downloaded = 0;
    for (const o of objects) {
      const rel = o.key.slice(prefixOf.length);
      const r = await requestOk(signedPrefix + rel.split('/').map(encodeURIComponent).join('/'), { agent });
      if (r.bytes !== o.bytes) throw new Error(`${o.key}: got ${r.bytes} bytes, the catalog says ${o.bytes}`);
      mkdirSync(dirname(join(www, o.key)), { recursive: true });
      writeFileSync(join(www, o.key), r.body);
      downloaded += r.bytes;
    }
    agent.destroy();
    const nginx = await startNginx(scratch);
    log(`part 3: reference nginx pid ${nginx.pid} on ${nginx.base}; prewarm ${warmTitle}`);
    flix('prewarm', '--title', warmTitle, '--json');
    const segments = objects.filter((o) => o.kind === 'segment');
    const rels = segments.map((o) =>
      o.key.slice(prefixOf.length).split('/').map(encodeURIComponent).join('/'),
    );
    const targets = [
      {
        name: `edge (${edge.name}, signed, cache HIT)`,
        urls: rels.map((r) => signedPrefix + r),
        agent: new http.Agent({ keepAlive: true, maxSockets: concurrency }),
        pgids: [edgeComponent.pid],
      },
      {
        name: 'plain nginx from disk',
        urls: rels.map((r) => `${nginx.base}/${prefixOf}${r}`),
        agent: new http.Agent({ keepAlive: true, maxSockets: concurrency }),
        pgids: [nginx.pid],
      },
    ];
    // both serve the bytes the catalog recorded (MD5), then a short warm-up of the client and the page cache
    for (const t of targets) {
      for (let i = 0; i < Math.min(3, segments.length); i++) {
        const r = await requestOk(t.urls[i], { agent: t.agent });
        const md5 = createHash('md5').update(r.body).digest('hex');
        if (md5 !== segments[i].md5)
          throw new Error(`${t.name}: ${t.urls[i]} MD5 ${md5}, the catalog says ${segments[i].md5}`);
      }
    }
    await compareThroughput(targets, concurrency, 2);
    log(
      `part 3: ${segments.length} segments, concurrency ${concurrency}, ${seconds} s each, alternating 2 s blocks`,
    );
    const tp = await compareThroughput(targets, concurrency, seconds);
    for (const t of targets) t.agent.destroy();
    nginx.stop();
    const [e, n] = tp.results;
    report.part3 = {
      edge: edge.name,
      objects: objects.length,
      segments: segments.length,
      segmentBytes: segments.reduce((a, o) => a + o.bytes, 0),
      downloadedBytes: downloaded,
      concurrency,
      secondsEach: seconds,
      clientCpuSeconds: tp.clientCpuSeconds,
      viaEdge: e,
      nginx: n,
      ratio: {
        requestsPerSecond: e.requestsPerSecond / n.requestsPerSecond,
        megabytesPerSecond: e.megabytesPerSecond / n.megabytesPerSecond,
        p50: e.latency.p50 / n.latency.p50,
        p99: e.latency.p99 / n.latency.p99,
        serverCpuMsPerRequest: e.serverCpuMsPerRequest / n.serverCpuMsPerRequest,
      },
    };
    report.ran.part3 = true;
  }
} catch (e) {
  report.error = e.stack ?? String(e);
  console.error(`\nFAILED: ${e.stack ?? e}`);
  process.exitCode = 1;
} finally {
  cleanup();
}

// ---------------------------------------------------------------- report
report.loadAverageAtEnd = readFileSync('/proc/loadavg', 'utf8').trim();
console.log('');
console.log(
  `flix playback benchmark — ${cores} cores, node ${process.version}, load average ${report.loadAverageAtStart.split(' ').slice(0, 3).join(' ')} at start, ${report.loadAverageAtEnd.split(' ').slice(0, 3).join(' ')} at end`,
);
if (report.part1) {
  const p = report.part1;
  console.log(
    `\n1. start-play latency (ms), ${viewers} viewers starting together through the ELB (percentiles over the viewers that got to play)`,
  );
  console.log(
    '   play request sent → first byte of the first media segment (lowest variant, after master, media playlist, init)',
  );
  const rows = [];
  const kinds = [
    ['cold', p.cold, `cold (1 round of ${viewers})`],
    ['warm', p.warm, `warm (${p.warm?.rounds} rounds of ${viewers})`],
    [
      'warm, watching together',
      p.warmStaggered,
      `warm, ${viewers} arriving over ${p.warmStaggered?.arrivalSeconds} s, watching together`,
    ],
    ['warm, 1 at a time', p.warmSequential, `warm, 1 viewer at a time (${p.warmSequential?.rounds})`],
  ];
  for (const [, v, label] of kinds) {
    if (!v) continue;
    rows.push([...pctRow(`${label}: start-play`, v.startPlay), v.failed]);
    rows.push([...pctRow('  play API alone', v.playApi), '']);
    rows.push([...pctRow('  master playlist', v.master), '']);
    rows.push([...pctRow('  media playlist', v.mediaPlaylist), '']);
    rows.push([...pctRow('  init segment', v.init), '']);
    rows.push([...pctRow('  first segment, first byte', v.segmentFirstByte), '']);
  }
  table(['', 'n ok', 'p50', 'p90', 'p99', 'max', 'failed'], rows);
  for (const [k, v] of kinds) {
    if (!v) continue;
    if (v.cpuMsPerViewer) console.log(`   ${k}: CPU ms per viewer: ${v.cpuMsPerViewer.text}`);
    console.log(
      `   ${k}: ${v.failed} failed${v.failed ? ` ${JSON.stringify(v.errors)}` : ''}; first segment X-Cache-Status ${JSON.stringify(v.segmentCacheStatus)}; edges ${JSON.stringify(v.edges)}`,
    );
  }
  if (p.warm) {
    if (p.warm.cpuMsPerViewer) {
      const floor = (viewers * p.warm.cpuMsPerViewer.totalMs) / cores;
      console.log(
        `   a burst of ${viewers} plays costs ${viewers} × ${p.warm.cpuMsPerViewer.totalMs.toFixed(1)} ms CPU ÷ ${cores} cores ≈ ${floor.toFixed(0)} ms of machine time: the last viewer cannot start sooner (CPU counted over the cluster's processes and this client, background included)`,
      );
    }
    for (const [label, v] of [
      ['starting together', p.warm],
      ['watching together', p.warmStaggered],
    ]) {
      if (!v) continue;
      const p99 = v.startPlayCountingFailures.p99;
      const met = p99 !== null && p99 <= 50;
      console.log(
        `   target warm start-play p99 ≤ 50 ms (${viewers} viewers ${label}; failures count as ∞): p99 ${ms(p99)}${p99 === Number.POSITIVE_INFINITY ? '' : ' ms'} → ${met ? 'MET' : 'NOT MET'}`,
      );
    }
    if (p.warmStaggered)
      console.log(
        `   watching together: ${p.warmStaggered.segmentsStreamed} more segments streamed while the others started, ${p.warmStaggered.streamErrors} stream errors`,
      );
  }
}
for (const p of report.part2 ?? []) {
  console.log(
    `\n2. ELB + gateway overhead (ms), open loop ${p.rate} req/s, ${p.secondsEach} s each (alternating 1 s blocks), latency from the scheduled send time`,
  );
  table(
    ['', 'n', 'p50', 'p90', 'p99', 'max', 'non-200'],
    [
      [...pctRow(`GET /api/titles/:id via ELB`, p.viaElb.latency), p.viaElb.non200],
      [...pctRow(`GET /v1/titles/:id catalog-a-1`, p.direct.latency), p.direct.non200],
      [
        'overhead (difference)',
        '',
        ms(p.overheadMs.p50),
        ms(p.overheadMs.p90),
        ms(p.overheadMs.p99),
        ms(p.overheadMs.max),
        '',
      ],
    ],
  );
  console.log(
    `   statuses: ELB ${JSON.stringify(p.viaElb.statuses)}, direct ${JSON.stringify(p.direct.statuses)}`,
  );
  console.log(`   CPU ms per request, via ELB: ${p.viaElb.cpuMsPerRequest.text}`);
  console.log(`   CPU ms per request, direct:  ${p.direct.cpuMsPerRequest.text}`);
  console.log(
    `   latest send behind schedule (client event loop): ELB ${ms(p.viaElb.maxLateSendMs)} ms, direct ${ms(p.direct.maxLateSendMs)} ms`,
  );
  const met = p.overheadMs.p99 <= 5 && p.viaElb.non200 === 0;
  console.log(
    `   target overhead p99 ≤ 5 ms at ${p.rate} req/s, 0 non-200: ${ms(p.overheadMs.p99)} ms → ${met ? 'MET' : 'NOT MET'}`,
  );
}
if (report.part3) {
  const p = report.part3;
  console.log(
    `\n3. edge throughput vs plain nginx from disk: ${p.segments} segments (${(p.segmentBytes / 1e6).toFixed(1)} MB), concurrency ${p.concurrency}, keep-alive, ${p.secondsEach} s each (alternating 2 s blocks)`,
  );
  table(
    ['', 'req/s', 'MB/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'server CPU ms/req'],
    [p.viaEdge, p.nginx].map((r) => [
      r.name,
      r.requestsPerSecond.toFixed(0),
      r.megabytesPerSecond.toFixed(1),
      ms(r.latency.p50),
      ms(r.latency.p90),
      ms(r.latency.p99),
      ms(r.latency.max),
      r.serverCpuMsPerRequest?.toFixed(3) ?? '-',
    ]),
  );
  console.log(
    `   ratio edge/nginx: req/s ${p.ratio.requestsPerSecond.toFixed(2)}, MB/s ${p.ratio.megabytesPerSecond.toFixed(2)}, p50 ${p.ratio.p50.toFixed(2)}, p99 ${p.ratio.p99.toFixed(2)}, server CPU per request ${p.ratio.serverCpuMsPerRequest.toFixed(2)}`,
  );
  console.log(
    `   edge X-Cache-Status ${JSON.stringify(p.viaEdge.cacheStatus)}; statuses edge ${JSON.stringify(p.viaEdge.statuses)}, nginx ${JSON.stringify(p.nginx.statuses)}`,
  );
  console.log(
    `   the client is Node on the same ${cores} cores (it used ${p.clientCpuSeconds.toFixed(1)} CPU s): req/s and MB/s are bounded by it; server CPU per request is the fairer comparison`,
  );
}
if (report.error) console.log(`\nNOT COMPLETE: ${report.error.split('\n')[0]}`);
console.log(`ran: ${JSON.stringify(report.ran)}`);
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
const out = join(root, 'bench', 'results', `playback-${Date.now()}.json`);
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(`\nfull results: ${out}`);
