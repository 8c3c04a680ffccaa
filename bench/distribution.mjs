#!/usr/bin/env node
// @ts-check
// Distribution benchmark (run on purpose, never as a test). Options: --help.
import { setTimeout as sleep } from 'node:timers/promises';
import { readPlan } from '../dist/lib/cluster/endpoints.js';
import { edgeCacheDir, heldObjects } from '../dist/lib/engines/edge/cache.js';
import { operatorCall } from '../dist/lib/ops/operator.js';
import { number, parseArgs, string } from './lib/args.mjs';
import { cleanup, onCleanup } from './lib/cleanup.mjs';
import { ensureSource, shortSource } from './lib/fixtures.mjs';
import { flixCli, root, upCluster } from './lib/flix.mjs';
import { cores, loadAverage, untilIdle } from './lib/proc.mjs';
import { writeResults } from './lib/results.mjs';
import { countBy, percentiles } from './lib/stats.mjs';
import { ms, percentileRow, printTable } from './lib/table.mjs';
import { viewer } from './start-play.mjs';

const o = parseArgs(process.argv.slice(2), {
  usage: `node bench/distribution.mjs [options]

Start-play latency of the first play of freshly published titles, with the distribution service
pushing each title to the edges on publish. A viewer = POST {elb}/api/play, then the HLS master
playlist, the lowest variant's playlist, its init segment and the first byte of its first
segment from the first edge the answer names (bench/start-play.mjs's viewer).
  1. --titles short titles (fixtures/media/good.mp4), one at a time on an idle cluster: ingest
     --wait, wait until every edge's disk holds every object, then the title's first play. Side
     by side, the reference: every --reference-every-th title is evicted from every edge before
     its first play — cold misses through the edge to the origin, as every first play was
     before distribution (20 filled and 10 reference titles by default).
  2. The origin tier: \`flix distribute --now\`; the titles that no longer fit the edges' 12 MiB
     budget (the oldest) are served through the edges uncached; one play of each.
  3. A fill under load: --load-viewers viewers start plays of a hot title back to back for
     --load-seconds, without a fill, then while the distribution service refills every other
     title (evicted, then placed again, over and over; paced at the cluster's 40 Mbit/s), then
     without again. Goal: the fill moves start-play p99 by at most 10 %.
Goal of 1: p99 ≤ 200 ms. Starts its own cluster (bench/distribution-cluster.yaml) unless
--keep-cluster names one.`,
  options: {
    titles: number(30, 'titles published and first-played one at a time'),
    referenceEvery: number(3, 'every N-th title is evicted before its first play (the reference); 0: none'),
    loadViewers: number(8, 'viewers starting plays back to back in part 3'),
    loadSeconds: number(20, 'seconds of each of the three load windows'),
    keepCluster: string(null, 'use this running cluster (and leave it running)', 'NAME'),
  },
});

const log = (/** @type {string} */ s) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${s}`);
const name = o.keepCluster ?? `bench-distribution-${process.pid}`;
const cli = flixCli(name);
/** @type {Record<string, any>} */
const report = { startedAt: new Date().toISOString(), cluster: name, cores: cores(), options: o };
report.loadAverageAtStart = loadAverage();
log(`distribution benchmark: cluster ${name}, ${report.cores} cores, load ${report.loadAverageAtStart}`);
ensureSource(shortSource, log);

try {
  if (!o.keepCluster) {
    const up = upCluster(cli, `${root}/bench/distribution-cluster.yaml`, { log });
    onCleanup(up.down);
    log(`cluster up in ${up.upSeconds.toFixed(0)} s`);
  }
  /** @type {{ components: Array<{ name: string, endpoint: string }> }} */
  const status = cli.json('status', '--json');
  const elb = status.components.find((c) => c.name === 'elb-1')?.endpoint;
  const distribution = status.components.find((c) => c.name === 'distribution-1')?.endpoint;
  if (!elb || !distribution) throw new Error('the cluster has no elb-1 or distribution-1');
  const plan = await readPlan(name);
  const edges = (plan?.components ?? []).filter((/** @type {{ engine: string }} */ c) => c.engine === 'edge');
  // one premium user per load viewer (a plan plays only so many streams at once)
  /** @type {string[]} */
  const tokens = Array.from(
    { length: Math.max(1, o.loadViewers) },
    (_, i) =>
      cli.json(
        'users',
        'create',
        `bench-${process.pid}-${i}`,
        '--plan',
        'premium',
        '--region',
        'US',
        '--json',
      ).token,
  );
  const token = /** @type {string} */ (tokens[0]);

  // 1. first plays of fresh titles; every --reference-every-th one is evicted from every edge
  // before its first play: the reference, a first play as it was before distribution
  // one title played first, not counted: the cluster's first play warms the play path itself
  // (connections, JITs), which is not what is measured here
  const warmUp = cli.json(
    'ingest',
    shortSource,
    '--title',
    `distribution bench warm-up ${process.pid}`,
    '--wait',
    '--json',
  ).id;
  await viewer(elb, token, warmUp);
  /** @type {Array<Record<string, any>>} */
  const fresh = [];
  for (let i = 1; i <= o.titles; i++) {
    const id = cli.json(
      'ingest',
      shortSource,
      '--title',
      `distribution bench ${i} ${process.pid}`,
      '--wait',
      '--json',
    ).id;
    const readyAt = performance.now();
    /** @type {string[]} */
    const keys = cli
      .json('titles', 'show', id, '--json')
      .objects.map((/** @type {{ key: string }} */ x) => x.key);
    await untilHeld(edges, keys, 60_000);
    const fillSeconds = (performance.now() - readyAt) / 1000;
    // the first viewer comes to an idle machine: the ingest's last clean-ups done
    const idle = await untilIdle(0.85, 10_000);
    const reference = o.referenceEvery > 0 && i % o.referenceEvery === 0;
    if (reference) cli.run('distribute', 'evict', '--title', id, '--json');
    const first = await viewer(elb, token, id);
    if (!first.ok) throw new Error(`first play of ${id}: ${first.error}`);
    fresh.push({ id, fillSeconds, reference, first, idle });
    log(
      `${i}/${o.titles} ${id} (machine ${(idle * 100).toFixed(0)} % idle): on every edge ${fillSeconds.toFixed(2)} s after \`ingest --wait\` returned; first play${reference ? ' after eviction (reference)' : ''} ${first.totalMs.toFixed(0)} ms (play ${first.playMs.toFixed(0)} ms; ${Object.values(first.cache).join(' ')})`,
    );
  }
  report.fresh = fresh;

  // 2. the origin tier
  const run = cli.json('distribute', '--now', '--json');
  const originTitles = Object.entries(run.tiers)
    .filter(([, tier]) => tier === 'origin')
    .map(([id]) => id);
  log(
    `placement: ${JSON.stringify(countBy(Object.values(run.tiers)))}; ${originTitles.length} on the origin tier`,
  );
  /** @type {Array<Record<string, any>>} */
  const origin = [];
  for (const id of originTitles) {
    const v = await viewer(elb, token, id);
    if (!v.ok) throw new Error(`origin-tier play of ${id}: ${v.error}`);
    origin.push({ id, ...v });
  }
  report.origin = origin;

  // 3. a fill under load
  const hot = /** @type {string} */ (fresh.at(-1)?.id);
  const others = Object.entries(run.tiers)
    .filter(([id, tier]) => tier !== 'origin' && id !== hot)
    .map(([id]) => id);
  // a warm-up window first, not counted: the first seconds of load warm connections and JITs
  await loadWindow(elb, tokens, hot, 5000);
  const before = await loadWindow(elb, tokens, hot, o.loadSeconds * 1000);
  log(`load without a fill: p99 ${ms(before.stats.p99)} ms`);
  const filled = await statusOf(distribution);
  const stop = new AbortController();
  const filling = refillLoop(distribution, others, stop.signal);
  const during = await loadWindow(elb, tokens, hot, o.loadSeconds * 1000);
  stop.abort();
  const cycles = await filling;
  const afterFill = await statusOf(distribution);
  const fillBytes = afterFill.filledBytes - filled.filledBytes;
  const yieldedSeconds = afterFill.yieldedSeconds - filled.yieldedSeconds;
  log(
    `load during the fill (${cycles} refills, ${(fillBytes / 2 ** 20).toFixed(1)} MiB): p99 ${ms(during.stats.p99)} ms`,
  );
  const after = await loadWindow(elb, tokens, hot, o.loadSeconds * 1000);
  log(`load without a fill again: p99 ${ms(after.stats.p99)} ms`);
  report.load = {
    before,
    during,
    after,
    cycles,
    fillBytes,
    yieldedSeconds,
    fillMbitPerSecond: (fillBytes * 8) / 1e6 / o.loadSeconds,
  };
} catch (e) {
  report.error = e instanceof Error ? (e.stack ?? e.message) : String(e);
  console.error(`\nFAILED: ${report.error}`);
  process.exitCode = 1;
} finally {
  cleanup();
}
report.loadAverageAtEnd = loadAverage();
print(report);
writeResults('distribution', report);

/**
 * Waits until every edge's disk holds every object of a title.
 * @param {Array<{ dataDir: string }>} edges
 * @param {string[]} keys
 * @param {number} timeoutMs
 */
async function untilHeld(edges, keys, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const held = await Promise.all(edges.map((e) => heldObjects(edgeCacheDir(e.dataDir), keys)));
    if (held.every((h) => h.objects === keys.length)) return;
    if (performance.now() > deadline)
      throw new Error(`the edges hold ${held.map((h) => h.objects)} of ${keys.length} objects`);
    await sleep(20);
  }
}

/**
 * Each user a viewer starting plays back to back for the window.
 * @param {string} elb
 * @param {string[]} tokens
 * @param {string} title
 * @param {number} windowMs
 */
async function loadWindow(elb, tokens, title, windowMs) {
  const deadline = performance.now() + windowMs;
  /** @type {number[]} */
  const totals = [];
  let failures = 0;
  await Promise.all(
    tokens.map(async (token) => {
      while (performance.now() < deadline) {
        const v = await viewer(elb, token, title);
        if (v.ok) totals.push(v.totalMs);
        else failures++;
      }
    }),
  );
  return { plays: totals.length, failures, stats: percentiles(totals), load: loadAverage() };
}

/** @param {string} url */
async function statusOf(url) {
  const r = await operatorCall(name, `${url}/status`);
  return /** @type {{ status: { filledBytes: number, yieldedSeconds: number } }} */ (r.body).status;
}

/**
 * Evicts the titles from every edge and has the service place them again, until stopped.
 * @param {string} url
 * @param {string[]} titles
 * @param {AbortSignal} signal
 */
async function refillLoop(url, titles, signal) {
  let cycles = 0;
  while (!signal.aborted) {
    for (const titleId of titles) {
      await operatorCall(name, `${url}/v1/evictions`, { method: 'POST', body: { titleId } });
    }
    const started = await operatorCall(name, `${url}/v1/runs`, { method: 'POST', body: { reason: 'bench' } });
    const id = /** @type {{ run: { id: string } }} */ (started.body).run.id;
    for (;;) {
      await sleep(100);
      const r = /** @type {{ run: { state: string } }} */ (
        (await operatorCall(name, `${url}/v1/runs/${id}`)).body
      );
      if (r.run.state === 'done' || r.run.state === 'failed') break;
    }
    cycles++;
  }
  return cycles;
}

/** @param {Record<string, any>} r */
function print(r) {
  const three = (/** @type {string} */ l) => l.split(' ').slice(0, 3).join(' ');
  console.log(
    `\nflix distribution benchmark — ${r.cores} cores, load average ${three(r.loadAverageAtStart)} at start, ${three(r.loadAverageAtEnd)} at end`,
  );
  if (r.fresh?.length) {
    const filledPlays = r.fresh.filter((/** @type {any} */ f) => !f.reference);
    const first = percentiles(filledPlays.map((/** @type {any} */ f) => f.first.totalMs));
    const cold = percentiles(
      r.fresh.filter((/** @type {any} */ f) => f.reference).map((/** @type {any} */ f) => f.first.totalMs),
    );
    const fill = percentiles(r.fresh.map((/** @type {any} */ f) => f.fillSeconds * 1000));
    const api = percentiles(filledPlays.map((/** @type {any} */ f) => f.first.playMs));
    const rows = [
      percentileRow('first play, filled on publish', first),
      percentileRow('  of which the play API call', api),
      percentileRow('first play, evicted first (reference)', cold),
    ];
    if (r.origin?.length)
      rows.push(
        percentileRow(
          'origin tier (uncached)',
          percentiles(r.origin.map((/** @type {any} */ v) => v.totalMs)),
        ),
      );
    rows.push(percentileRow('publish → on every edge', fill));
    printTable(['start-play (play request → first segment byte)', 'n', 'p50', 'p90', 'p99', 'max'], rows);
    const statuses = countBy(filledPlays.flatMap((/** @type {any} */ f) => Object.values(f.first.cache)));
    console.log(`   first plays' cache statuses: ${JSON.stringify(statuses)}`);
    if (r.origin?.length)
      console.log(
        `   origin tier's cache statuses: ${JSON.stringify(countBy(r.origin.flatMap((/** @type {any} */ v) => Object.values(v.cache))))}`,
      );
    console.log(
      `   goal first-play p99 ≤ 200 ms: ${ms(first.p99)} ms → ${first.p99 !== null && first.p99 <= 200 ? 'MET' : 'NOT MET'}`,
    );
  }
  if (r.load) {
    const { before, during, after } = r.load;
    /** @param {string} label @param {{ plays: number, stats: import('./lib/stats.mjs').Percentiles }} w */
    const row = (label, w) => [
      label,
      w.plays,
      ms(w.stats.p50),
      ms(w.stats.p90),
      ms(w.stats.p99),
      ms(w.stats.max),
    ];
    printTable(
      [`${r.options.loadViewers} viewers back to back`, 'plays', 'p50', 'p90', 'p99', 'max'],
      [row('no fill', before), row('fill running', during), row('no fill again', after)],
    );
    const base = (before.stats.p99 + after.stats.p99) / 2;
    const moved = during.stats.p99 / base - 1;
    console.log(
      `   the fill moved ${(r.load.fillBytes / 2 ** 20).toFixed(1)} MiB (${r.load.fillMbitPerSecond.toFixed(1)} Mbit/s, ${r.load.cycles} refills, ${r.load.yieldedSeconds.toFixed(1)} s yielded to a busy CPU); start-play p99 ${ms(during.stats.p99)} ms against ${ms(base)} ms without → ${(moved * 100).toFixed(1)} % (goal ≤ 10 %: ${moved <= 0.1 ? 'MET' : 'NOT MET'}); failures ${before.failures}/${during.failures}/${after.failures}`,
    );
  }
  if (r.error) console.log(`\nNOT COMPLETE: ${String(r.error).split('\n')[0]}`);
}
