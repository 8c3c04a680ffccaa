#!/usr/bin/env node
// @ts-check
// ELB + gateway overhead benchmark (run on purpose, never as a test): the latency the front door
// adds to an API call, measured against the service it forwards to. What it does and its
// options: `node bench/gateway-overhead.mjs --help`. bench/playback.mjs runs it with the other
// two playback benchmarks on one cluster.
import { setTimeout as sleep } from 'node:timers/promises';
import { clusterSecrets } from '../dist/lib/cluster/secrets.js';
import { InternalSigner } from '../dist/lib/platform/internal-auth.js';
import { numbers } from './lib/args.mjs';
import { keepAlive, request, requestOk } from './lib/http.mjs';
import { isScript, log, runPlayback, secondsOption } from './lib/playback.mjs';
import { addCpuSince, cpuPerOp, cpuSnapshot } from './lib/proc.mjs';
import { percentiles } from './lib/stats.mjs';
import { ms, percentileRow, printTable } from './lib/table.mjs';

/** @typedef {import('./lib/playback.mjs').PlaybackContext} PlaybackContext */
/** @typedef {import('./lib/proc.mjs').CpuSeconds} CpuSeconds */

export const description = `what the ELB + gateway add: GET {elb}/api/titles/<id> (bearer token) against
GET {catalog-a-1}/v1/titles/<id> (the headers the gateway sends), open loop at --rate req/s
(fixed arrival schedule; latency counted from the scheduled send time, so a stalled server or
client cannot hide queueing), alternating one-second blocks so both see the same machine.
Several rates (--rate 1000,200) are measured in turn; the target is met at the first.`;

const options = {
  rate: numbers([1000], 'requests per second, open loop; a list is measured rate by rate'),
  seconds: secondsOption,
};

/** @typedef {import('./lib/args.mjs').Values<typeof options>} Options */

/**
 * @typedef {object} Target
 * @property {string} name
 * @property {string} url
 * @property {Record<string, string>} headers
 * @property {import('node:http').Agent} agent
 */
/**
 * @typedef {object} Sink what one target's blocks collect
 * @property {number[]} lat latency ms, from the scheduled send time
 * @property {Record<string, number>} statuses `200`, `503 upstream-failed`, `ECONNRESET`, …
 * @property {number} lateSendMs the latest a request went out behind its schedule
 * @property {CpuSeconds} cpu
 */

/**
 * Open loop: `rate` requests per second to one target for `blockMs`, each sent at its scheduled
 * time (or as soon after it as the event loop allows); latency = answer end - scheduled time.
 * @param {Target} target
 * @param {number} rate
 * @param {number} blockMs
 * @param {Sink} sink
 */
async function openLoopBlock(target, rate, blockMs, sink) {
  const interval = 1000 / rate;
  const n = Math.round((rate * blockMs) / 1000);
  /** @type {Promise<void>[]} */
  const inflight = [];
  const start = performance.now() + 1;
  let k = 0;
  /** @param {string} key */
  const count = (key) => {
    sink.statuses[key] = (sink.statuses[key] ?? 0) + 1;
  };
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
              count(code ? `${r.status} ${code}` : String(r.status));
            },
            (/** @type {NodeJS.ErrnoException} */ e) => {
              sink.lat.push(performance.now() - scheduled);
              count(e.code ?? 'error');
            },
          ),
        );
      }
      if (k < n) setTimeout(tick, Math.max(0, start + k * interval - performance.now()));
      else done(undefined);
    };
    setTimeout(tick, 1);
  });
  await Promise.all(inflight);
}

/**
 * The targets in turn, one-second blocks alternating (and alternating which goes first), so both
 * see the same machine: a background burst hits both, not one.
 * @param {Target[]} targets
 * @param {number} rate
 * @param {number} secondsEach
 * @param {Map<number, string>} kinds
 */
async function compareOpenLoop(targets, rate, secondsEach, kinds) {
  /** @type {Sink[]} */
  const sinks = targets.map(() => ({ lat: [], statuses: {}, lateSendMs: 0, cpu: {} }));
  const blocks = Math.max(1, Math.round(secondsEach));
  for (let b = 0; b < blocks; b++) {
    const order = b % 2 === 0 ? targets.map((_, i) => i) : targets.map((_, i) => targets.length - 1 - i);
    for (const i of order) {
      const sink = /** @type {Sink} */ (sinks[i]);
      const since = cpuSnapshot(kinds);
      await openLoopBlock(/** @type {Target} */ (targets[i]), rate, (secondsEach / blocks) * 1000, sink);
      addCpuSince(sink.cpu, since, kinds);
    }
  }
  return targets.map((t, i) => {
    const sink = /** @type {Sink} */ (sinks[i]);
    return {
      name: t.name,
      url: t.url,
      latency: percentiles(sink.lat),
      statuses: sink.statuses,
      non200: Object.entries(sink.statuses)
        .filter(([s]) => s !== '200')
        .reduce((a, [, c]) => a + c, 0),
      maxLateSendMs: sink.lateSendMs,
      cpuMsPerRequest: cpuPerOp(sink.cpu, sink.lat.length),
    };
  });
}

/** @typedef {Awaited<ReturnType<typeof compareOpenLoop>>[number]} TargetResult */
/**
 * @typedef {object} RateResult
 * @property {number} rate
 * @property {number} secondsEach
 * @property {TargetResult} viaElb
 * @property {TargetResult} direct
 * @property {Record<'p50' | 'p90' | 'p99' | 'max' | 'mean', number>} overheadMs via ELB - direct
 */

/**
 * @param {PlaybackContext} ctx
 * @param {Options} o
 * @param {(result: RateResult[]) => void} save
 */
async function measure({ cli, elb, catalogA, token, userId, titles, kinds }, { rate: rates, seconds }, save) {
  if (!catalogA) throw new Error('the cluster has no catalog-a-1 component');
  /**
   * @param {string} name
   * @param {string} url
   * @param {Record<string, string>} headers
   * @returns {Target}
   */
  const target = (name, url, headers) => ({ name, url, headers, agent: keepAlive(256) });
  const targets = [
    target('ELB + gateway → catalog', `${elb}/api/titles/${titles.warm}`, {
      authorization: `Bearer ${token}`,
    }),
    // what the gateway sends the catalog for that user: the user and the cluster's internal token
    // (signed once: it stays valid for minutes, far longer than a run)
    target('catalog-a-1 directly', `${catalogA}/v1/titles/${titles.warm}`, {
      ...new InternalSigner((await clusterSecrets(cli.name)).internalKey, 'gateway').headers(),
      'x-flix-user-id': userId,
      'x-flix-user-region': 'US',
    }),
  ];
  for (const t of targets) await requestOk(t.url, { headers: t.headers });
  /** @type {RateResult[]} */
  const done = [];
  for (const rate of rates) {
    log(`part 2: warm-up, ${rate} req/s open loop, 2 s each`);
    await compareOpenLoop(targets, rate, 2, kinds);
    await sleep(2000);
    log(`part 2: ${rate} req/s open loop, ${seconds} s each, alternating 1 s blocks`);
    const [viaElb, direct] = /** @type {[TargetResult, TargetResult]} */ (
      await compareOpenLoop(targets, rate, seconds, kinds)
    );
    /** @type {RateResult['overheadMs']} */
    const overheadMs = { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 };
    for (const k of /** @type {const} */ (['p50', 'p90', 'p99', 'max', 'mean']))
      overheadMs[k] = Number(viaElb.latency[k]) - Number(direct.latency[k]);
    done.push({ rate, secondsEach: seconds, viaElb, direct, overheadMs });
    // a rate measured is kept, even if a later one fails
    save(done);
    await sleep(2000);
  }
  for (const t of targets) t.agent.destroy();
}

/**
 * @param {RateResult[]} results
 */
function print(results) {
  for (const p of results) {
    console.log(
      `\n2. ELB + gateway overhead (ms), open loop ${p.rate} req/s, ${p.secondsEach} s each (alternating 1 s blocks), latency from the scheduled send time`,
    );
    printTable(
      ['', 'n', 'p50', 'p90', 'p99', 'max', 'non-200'],
      [
        [...percentileRow('GET /api/titles/:id via ELB', p.viaElb.latency), p.viaElb.non200],
        [...percentileRow('GET /v1/titles/:id catalog-a-1', p.direct.latency), p.direct.non200],
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
}

/** @type {import('./lib/playback.mjs').PlaybackPart<typeof options, RateResult[]>} */
export const gatewayOverhead = {
  key: 'part2',
  name: 'gateway-overhead',
  description,
  options,
  measure,
  print,
};

if (isScript(import.meta.url))
  await runPlayback(process.argv.slice(2), {
    title: 'gateway-overhead',
    usage: `node bench/gateway-overhead.mjs [options]\n\n${description}`,
    parts: [gatewayOverhead],
  });
