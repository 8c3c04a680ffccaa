#!/usr/bin/env node
// @ts-check
// Edge throughput benchmark (run on purpose, never as a test): what the edge's signed-URL check
// and cache cost against a plain nginx serving the same files from disk. What it does and its
// options: `node bench/edge-throughput.mjs --help`. bench/playback.mjs runs it with the other two
// playback benchmarks on one cluster.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { number } from './lib/args.mjs';
import { onCleanup } from './lib/cleanup.mjs';
import { freePort, keepAlive, request, requestOk } from './lib/http.mjs';
import { isScript, log, postPlay, runPlayback, secondsOption } from './lib/playback.mjs';
import { groupCpuSeconds } from './lib/proc.mjs';
import { percentiles, sum } from './lib/stats.mjs';
import { ms, printTable } from './lib/table.mjs';

/** @typedef {import('./lib/playback.mjs').PlaybackContext} PlaybackContext */

export const description = `edge throughput: the title's segments through the edge (signed URLs, cache HITs after a
prewarm) against a plain nginx serving the same files from disk (same server settings as
templates/nginx/edge.conf, sendfile on), same client, concurrency --concurrency, alternating
blocks; requests/s, MB/s, latency percentiles and the CPU the server processes used.`;

const options = {
  concurrency: number(16, 'requests in flight (closed loop)'),
  seconds: secondsOption,
};

/** @typedef {import('./lib/args.mjs').Values<typeof options>} Options */

/**
 * @typedef {object} Target
 * @property {string} name
 * @property {string[]} urls fetched round robin
 * @property {import('node:http').Agent} agent
 * @property {number[]} pgids the server's process groups, whose CPU is counted
 */
/**
 * @typedef {object} Sink what one target's blocks collect
 * @property {number[]} lat
 * @property {number} bytes
 * @property {Record<string, number>} statuses
 * @property {Record<string, number>} cache X-Cache-Status counts
 * @property {number} elapsedMs
 * @property {number} next the next url's index
 * @property {number} serverCpuSeconds
 */

/**
 * @param {Record<string, number>} counts
 * @param {string} key
 */
const count = (counts, key) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/**
 * Closed loop: `conc` workers GET the urls round robin for `blockMs`.
 * @param {Target} target
 * @param {number} conc
 * @param {number} blockMs
 * @param {Sink} sink
 */
async function throughputBlock(target, conc, blockMs, sink) {
  const deadline = performance.now() + blockMs;
  const t0 = performance.now();
  const cpu0 = groupCpuSeconds(target.pgids);
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (performance.now() < deadline) {
        const url = /** @type {string} */ (target.urls[sink.next++ % target.urls.length]);
        const s = performance.now();
        try {
          const r = await request(url, { agent: target.agent, keepBody: false, timeoutMs: 10_000 });
          sink.lat.push(r.end - s);
          sink.bytes += r.bytes;
          count(sink.statuses, String(r.status));
          const c = r.headers['x-cache-status'];
          if (typeof c === 'string' && c) count(sink.cache, c);
        } catch (e) {
          count(sink.statuses, /** @type {NodeJS.ErrnoException} */ (e).code ?? 'error');
        }
      }
    }),
  );
  sink.elapsedMs += performance.now() - t0;
  sink.serverCpuSeconds += groupCpuSeconds(target.pgids) - cpu0;
}

/**
 * The targets in turn, 2 s blocks alternating (and alternating which goes first).
 * @param {Target[]} targets
 * @param {number} conc
 * @param {number} secondsEach
 */
async function compareThroughput(targets, conc, secondsEach) {
  /** @type {Sink[]} */
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
    for (const i of order)
      await throughputBlock(
        /** @type {Target} */ (targets[i]),
        conc,
        (secondsEach / blocks) * 1000,
        /** @type {Sink} */ (sinks[i]),
      );
  }
  const clientCpu = process.cpuUsage(clientCpu0);
  return {
    clientCpuSeconds: (clientCpu.user + clientCpu.system) / 1e6,
    results: targets.map((t, i) => {
      const s = /** @type {Sink} */ (sinks[i]);
      const secs = s.elapsedMs / 1000;
      return {
        name: t.name,
        seconds: secs,
        requests: s.lat.length,
        requestsPerSecond: s.lat.length / secs,
        megabytesPerSecond: s.bytes / 1e6 / secs,
        bytes: s.bytes,
        latency: percentiles(s.lat),
        statuses: s.statuses,
        cacheStatus: s.cache,
        serverCpuSeconds: s.serverCpuSeconds,
        serverCpuMsPerRequest: s.lat.length ? (s.serverCpuSeconds * 1000) / s.lat.length : null,
        serverCpuSecondsPerGB: s.bytes ? s.serverCpuSeconds / (s.bytes / 1e9) : null,
      };
    }),
  };
}

/**
 * The nginx reference: the edge's server settings, serving `www` from disk.
 * @param {string} prefix
 * @param {number} port
 */
function nginxConf(prefix, port) {
  return `# bench/edge-throughput.mjs: plain nginx serving the title's files from disk, with the server
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

/**
 * Starts the reference nginx on a free port, serving `dir`/www; its stop is also a cleanup step.
 * @param {string} dir
 */
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
  const pid = /** @type {number} */ (child.pid);
  let stderr = '';
  child.stderr.on('data', (c) => {
    stderr += c;
  });
  /** @type {number | string | null} */
  let exited = null;
  child.on('exit', (code, sig) => {
    exited = code ?? sig;
  });
  const stop = () => {
    if (exited !== null) return;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return;
    }
    // wait (synchronously, so it also works from a signal handler) until the master is gone
    for (let i = 0; i < 50; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      if (existsSync(`/proc/${pid}/stat`) && /\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) return;
      spawnSync('sleep', ['0.1']);
    }
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {}
  };
  onCleanup(stop);
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (exited !== null) throw new Error(`nginx exited (${exited}): ${stderr}`);
    try {
      await request(`${base}/`, { timeoutMs: 500 });
      return { base, pid, port, stop, stderr: () => stderr };
    } catch {
      await sleep(50);
    }
  }
  throw new Error(`nginx did not listen on ${port}: ${stderr}`);
}

/** @typedef {Awaited<ReturnType<typeof compareThroughput>>['results'][number]} TargetResult */
/**
 * @typedef {object} ThroughputResult
 * @property {string} edge
 * @property {number} objects
 * @property {number} segments
 * @property {number} segmentBytes
 * @property {number} downloadedBytes
 * @property {number} concurrency
 * @property {number} secondsEach
 * @property {number} clientCpuSeconds
 * @property {TargetResult} viaEdge
 * @property {TargetResult} nginx
 * @property {Record<'requestsPerSecond' | 'megabytesPerSecond' | 'p50' | 'p99' | 'serverCpuMsPerRequest', number>} ratio edge / nginx
 */

/** @typedef {{ key: string, bytes: number, kind: string, md5: string }} StoredObject one object of `flix titles show --json` */

/**
 * @param {PlaybackContext} ctx
 * @param {Options} o
 * @param {(result: ThroughputResult) => void} save
 */
async function measure({ cli, elb, token, titles, component, scratch }, { concurrency, seconds }, save) {
  const warmTitle = titles.warm;
  /** @type {{ objects: StoredObject[] }} */
  const show = cli.json('titles', 'show', warmTitle, '--json');
  const objects = show.objects;
  const prefixOf = `titles/${warmTitle}/`;
  const { answer } = await postPlay(elb, token, warmTitle);
  const edge = answer.edges?.[0];
  if (!edge?.hls) throw new Error('play answer without edges[0].hls');
  // the signed part of the edge's URLs is in the path before titles/<id>/: every object of the
  // title is reachable under that prefix
  const signedPrefix = edge.hls.slice(
    0,
    edge.hls.indexOf(`/titles/${warmTitle}/`) + `/titles/${warmTitle}/`.length,
  );
  const edgeComponent = component(edge.name);
  if (!edgeComponent?.pid) throw new Error(`no running component ${edge.name} in flix status`);
  /** @param {string} key */
  const relative = (key) => key.slice(prefixOf.length).split('/').map(encodeURIComponent).join('/');
  log(`part 3: downloading ${objects.length} objects through ${edge.name} into ${scratch}/www`);
  const www = join(scratch, 'www');
  const agent = keepAlive(8);
  let downloaded = 0;
  for (const o of objects) {
    const r = await requestOk(signedPrefix + relative(o.key), { agent });
    if (r.bytes !== o.bytes) throw new Error(`${o.key}: got ${r.bytes} bytes, the catalog says ${o.bytes}`);
    mkdirSync(dirname(join(www, o.key)), { recursive: true });
    writeFileSync(join(www, o.key), /** @type {Buffer} */ (r.body));
    downloaded += r.bytes;
  }
  agent.destroy();
  const nginx = await startNginx(scratch);
  log(`part 3: reference nginx pid ${nginx.pid} on ${nginx.base}; prewarm ${warmTitle}`);
  cli.json('prewarm', '--title', warmTitle, '--json');
  const segments = objects.filter((o) => o.kind === 'segment');
  const rels = segments.map((o) => relative(o.key));
  /** @type {Target[]} */
  const targets = [
    {
      name: `edge (${edge.name}, signed, cache HIT)`,
      urls: rels.map((r) => signedPrefix + r),
      agent: keepAlive(concurrency),
      pgids: [edgeComponent.pid],
    },
    {
      name: 'plain nginx from disk',
      urls: rels.map((r) => `${nginx.base}/${prefixOf}${r}`),
      agent: keepAlive(concurrency),
      pgids: [nginx.pid],
    },
  ];
  // both serve the bytes the catalog recorded (MD5), then a short warm-up of the client and the page cache
  for (const t of targets) {
    for (let i = 0; i < Math.min(3, segments.length); i++) {
      const url = /** @type {string} */ (t.urls[i]);
      const expected = segments[i]?.md5;
      const r = await requestOk(url, { agent: t.agent });
      const md5 = createHash('md5')
        .update(/** @type {Buffer} */ (r.body))
        .digest('hex');
      if (md5 !== expected) throw new Error(`${t.name}: ${url} MD5 ${md5}, the catalog says ${expected}`);
    }
  }
  await compareThroughput(targets, concurrency, 2);
  log(
    `part 3: ${segments.length} segments, concurrency ${concurrency}, ${seconds} s each, alternating 2 s blocks`,
  );
  const tp = await compareThroughput(targets, concurrency, seconds);
  for (const t of targets) t.agent.destroy();
  nginx.stop();
  const [e, n] = /** @type {[TargetResult, TargetResult]} */ (tp.results);
  save({
    edge: edge.name,
    objects: objects.length,
    segments: segments.length,
    segmentBytes: sum(segments.map((o) => o.bytes)),
    downloadedBytes: downloaded,
    concurrency,
    secondsEach: seconds,
    clientCpuSeconds: tp.clientCpuSeconds,
    viaEdge: e,
    nginx: n,
    ratio: {
      requestsPerSecond: e.requestsPerSecond / n.requestsPerSecond,
      megabytesPerSecond: e.megabytesPerSecond / n.megabytesPerSecond,
      p50: Number(e.latency.p50) / Number(n.latency.p50),
      p99: Number(e.latency.p99) / Number(n.latency.p99),
      serverCpuMsPerRequest: Number(e.serverCpuMsPerRequest) / Number(n.serverCpuMsPerRequest),
    },
  });
}

/**
 * @param {ThroughputResult} p
 * @param {Options} _o
 * @param {number} cores
 */
function print(p, _o, cores) {
  console.log(
    `\n3. edge throughput vs plain nginx from disk: ${p.segments} segments (${(p.segmentBytes / 1e6).toFixed(1)} MB), concurrency ${p.concurrency}, keep-alive, ${p.secondsEach} s each (alternating 2 s blocks)`,
  );
  printTable(
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

/** @type {import('./lib/playback.mjs').PlaybackPart<typeof options, ThroughputResult>} */
export const edgeThroughput = {
  key: 'part3',
  name: 'edge-throughput',
  description,
  options,
  measure,
  print,
};

if (isScript(import.meta.url))
  await runPlayback(process.argv.slice(2), {
    title: 'edge-throughput',
    usage: `node bench/edge-throughput.mjs [options]\n\n${description}`,
    parts: [edgeThroughput],
  });
