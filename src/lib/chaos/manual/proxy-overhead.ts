/**
 * What the chaos proxy costs when it breaks nothing: 1 KiB HTTP requests answered with 1 KiB over
 * keep-alive connections, straight to the server and through a ToxicProxy with no toxic (a pipe),
 * and, for comparison, through one with a latency toxic of 0 ms (every chunk through the toxic
 * path). The server and the proxy each run in a process of their own, as they would in a cluster;
 * the client runs here. Not part of the test suite (it takes about half a minute). Run it with:
 *
 *   npx esbuild src/lib/chaos/manual/proxy-overhead.ts --bundle --platform=node --format=esm \
 *     --outfile=/tmp/flix-proxy-overhead.mjs && node /tmp/flix-proxy-overhead.mjs [seconds]
 *
 * It prints, per path: p50/p99 of a request's time at concurrency 1 and requests per second at
 * concurrency 16, and the proxy's added latency (path minus direct). Everything listens on
 * 127.0.0.1 on free ports; every child process is stopped before it exits.
 */
import { type ChildProcess, fork } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ToxicProxy } from '../toxic-proxy.js';

const BODY = Buffer.alloc(1024, 'x');

async function serve(): Promise<void> {
  const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    req.on('data', () => {});
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BODY.length });
      res.end(BODY);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.send?.({ port: (server.address() as AddressInfo).port });
}

async function proxy(upstreamPort: number, toxic: boolean): Promise<void> {
  const p = new ToxicProxy({
    name: 'bench',
    listen: { host: '127.0.0.1', port: 0 },
    upstream: { host: '127.0.0.1', port: upstreamPort },
  });
  await p.start();
  if (toxic) p.addToxic({ type: 'latency', latencyMs: 0 });
  process.send?.({ port: p.address.port });
  process.on('message', (m) => {
    if (m === 'stats') process.send?.({ stats: p.stats(), cpu: process.cpuUsage() });
  });
}

function child(args: string[]): Promise<{ proc: ChildProcess; port: number }> {
  const proc = fork(process.argv[1] as string, args, { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    proc.once('message', (m) => resolve({ proc, port: (m as { port: number }).port }));
    proc.once('error', reject);
  });
}

function request(agent: http.Agent, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/',
        agent,
        headers: { 'content-length': BODY.length },
      },
      (res) => {
        res.on('data', () => {});
        res.on('end', resolve);
      },
    );
    req.on('error', reject);
    req.end(BODY);
  });
}

/** Sequential requests on one kept-alive connection for `ms`: each one's time, in ms. */
async function latencies(port: number, ms: number): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const out: number[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const t0 = performance.now();
    await request(agent, port);
    out.push(performance.now() - t0);
  }
  agent.destroy();
  return out;
}

/** Requests per second with `concurrency` kept-alive connections, for `ms`. */
async function throughput(port: number, ms: number, concurrency: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let n = 0;
  const t0 = performance.now();
  const end = t0 + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await request(agent, port);
        n++;
      }
    }),
  );
  const rps = n / ((performance.now() - t0) / 1000);
  agent.destroy();
  return rps;
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 4);
  const children: ChildProcess[] = [];
  try {
    const server = await child(['server']);
    children.push(server.proc);
    const piped = await child(['proxy', String(server.port), 'pipe']);
    children.push(piped.proc);
    const toxic = await child(['proxy', String(server.port), 'toxic']);
    children.push(toxic.proc);
    const paths = [
      { name: 'direct', port: server.port },
      { name: 'proxy, no toxic (pipe)', port: piped.port },
      { name: 'proxy, latency 0 toxic', port: toxic.port },
    ];
    for (const p of paths) await latencies(p.port, 500); // warm up (JIT, connections)
    const lat = new Map<string, number[]>(paths.map((p) => [p.name, []]));
    const rps = new Map<string, number[]>(paths.map((p) => [p.name, []]));
    const rounds = 3;
    for (let r = 0; r < rounds; r++) {
      for (const p of paths)
        lat.get(p.name)?.push(...(await latencies(p.port, (seconds * 1000) / rounds / 2)));
      for (const p of paths)
        rps.get(p.name)?.push(await throughput(p.port, (seconds * 1000) / rounds / 2, 16));
    }
    const direct = [...(lat.get('direct') ?? [])].sort((a, b) => a - b);
    console.log(
      `node ${process.version}, ${seconds}s per path, 1 KiB request / 1 KiB response, HTTP keep-alive`,
    );
    console.log('path                      requests  p50 ms  p99 ms  +p50 ms  +p99 ms  req/s (c=16)');
    for (const p of paths) {
      const s = [...(lat.get(p.name) ?? [])].sort((a, b) => a - b);
      const r = rps.get(p.name) ?? [];
      const mean = r.reduce((a, b) => a + b, 0) / r.length;
      console.log(
        `${p.name.padEnd(24)}  ${String(s.length).padStart(8)}  ${pct(s, 50).toFixed(3).padStart(6)}  ${pct(s, 99).toFixed(3).padStart(6)}  ${(pct(s, 50) - pct(direct, 50)).toFixed(3).padStart(7)}  ${(pct(s, 99) - pct(direct, 99)).toFixed(3).padStart(7)}  ${mean.toFixed(0).padStart(12)}`,
      );
    }
    const stats = await new Promise<unknown>((resolve) => {
      piped.proc.once('message', resolve);
      piped.proc.send('stats');
    });
    console.log('pipe proxy after the run:', JSON.stringify(stats));
  } finally {
    for (const c of children) c.kill('SIGTERM');
  }
}

const [role, a, b] = process.argv.slice(2);
if (role === 'server') await serve();
else if (role === 'proxy') await proxy(Number(a), b === 'toxic');
else await main();
