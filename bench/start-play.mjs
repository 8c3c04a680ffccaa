#!/usr/bin/env node
// @ts-check
// Start-play latency benchmark (run on purpose, never as a test): how long a viewer waits from
// pressing play to the first byte of video, cold and warm, many viewers at once. What it does
// and its options: `node bench/start-play.mjs --help`. bench/playback.mjs runs it with the other
// two playback benchmarks on one cluster.
import { setTimeout as sleep } from 'node:timers/promises';
import { parseHlsMaster, parseHlsMediaPlaylist, resolveRef } from '../dist/lib/media/manifests/hls.js';
import { flag, number } from './lib/args.mjs';
import { keepAlive, requestOk, text } from './lib/http.mjs';
import { endPlay, isScript, log, postPlay, runPlayback } from './lib/playback.mjs';
import { addCpuSince, cpuPerOp, cpuSnapshot } from './lib/proc.mjs';
import { countBy, percentiles } from './lib/stats.mjs';
import { ms, percentileRow, printTable } from './lib/table.mjs';

/** @typedef {import('./lib/playback.mjs').PlaybackContext} PlaybackContext */
/** @typedef {import('./lib/stats.mjs').Percentiles} Percentiles */
/** @typedef {import('./lib/proc.mjs').CpuPerOp} CpuPerOp */
/** @typedef {import('./lib/proc.mjs').CpuSeconds} CpuSeconds */

export const description = `start-play latency, cold and warm: N viewers start together; a viewer = POST {elb}/api/play,
then GET the first edge's HLS master playlist, the lowest-bandwidth variant's media playlist, its
EXT-X-MAP init segment and the first media segment up to its first byte.
latency = play request sent -> first byte of that segment. Cold: a title nobody played (edge
caches empty for it); warm: after \`flix prewarm\` and one warm-up play. The play API call alone
is reported too. Also: --viewers viewers arriving at random over --arrival-seconds and each
watching (a segment every 4 s) until the last has started — that many viewers at once, not a
burst; and --sequential warm plays one at a time, the no-queueing reference.
The cold title can be played cold only once: one round.`;

const options = {
  viewers: number(50, 'viewers starting together in a round'),
  rounds: number(5, 'warm rounds of --viewers viewers'),
  sequential: number(20, 'warm plays one at a time afterwards; 0: none'),
  arrivalSeconds: number(
    10,
    'the staggered run: viewers arrive over this many seconds; 0: no staggered run',
    'S',
  ),
  skipCold: flag('no cold title (saves one ingest)'),
};

/** @typedef {import('./lib/args.mjs').Values<typeof options>} Options */

/**
 * @typedef {object} ViewerOk
 * @property {true} ok
 * @property {number} totalMs play request sent → first byte of the first segment
 * @property {number} playMs
 * @property {number} masterMs
 * @property {number} mediaMs
 * @property {number} initMs
 * @property {number} segmentFirstByteMs
 * @property {string} edge
 * @property {unknown} reasons why the steering chose that edge
 * @property {Record<'master' | 'media' | 'init' | 'segment', string | null>} cache X-Cache-Status of each answer
 * @property {{ agent: import('node:http').Agent, variant: string, segments: string[] }} [watch] to keep watching with
 * @property {number} [streamed] segments streamed afterwards (staggered run)
 * @property {string} [streamError]
 */
/** @typedef {{ ok: false, error: string, streamed?: number, streamError?: string }} ViewerFailed */
/**
 * A viewer's outcome; test it with `ok === true` / `ok === false`, which narrows even without
 * strictNullChecks (plain `if (r.ok)` does not).
 * @typedef {ViewerOk | ViewerFailed} Viewer
 */

/** @param {import('node:http').IncomingHttpHeaders} headers */
const cacheStatus = (headers) => /** @type {string | undefined} */ (headers['x-cache-status']) ?? null;

/**
 * One viewer starting to play: its own keep-alive agent, as a player has its own connections.
 * @param {string} elb
 * @param {string} token
 * @param {string} title
 * @param {{ keepWatching?: boolean }} [options] keep the agent and the playlist to go on streaming
 * @returns {Promise<Viewer>}
 */
export async function viewer(elb, token, title, { keepWatching = false } = {}) {
  const agent = keepAlive(4);
  let handedOver = false;
  try {
    const t0 = performance.now();
    const { response: play, answer } = await postPlay(elb, token, title, agent);
    const edge = answer.edges?.[0];
    if (!edge?.hls) throw new Error(`play answer without edges[0].hls: ${text(play).slice(0, 400)}`);
    const master = await requestOk(edge.hls, { agent });
    // a player starts with the lowest bandwidth
    const lowest = parseHlsMaster(text(master)).variants.reduce((a, b) =>
      b.bandwidth < a.bandwidth ? b : a,
    );
    const variant = resolveRef(edge.hls, lowest.uri);
    const media = await requestOk(variant, { agent });
    const playlist = parseHlsMediaPlaylist(text(media));
    const initRes = playlist.init ? await requestOk(resolveRef(variant, playlist.init), { agent }) : null;
    const tSeg = performance.now();
    const first = /** @type {{ uri: string }} */ (playlist.segments[0]);
    const seg = await requestOk(resolveRef(variant, first.uri), { agent, keepBody: false });
    handedOver = keepWatching;
    // a viewer who only starts gives the plan's stream slot back at once (as a player that stops)
    if (!keepWatching && answer.playId) await endPlay(elb, token, answer.playId, agent);
    return {
      watch: keepWatching ? { agent, variant, segments: playlist.segments.map((s) => s.uri) } : undefined,
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
        master: cacheStatus(master.headers),
        media: cacheStatus(media.headers),
        init: initRes ? cacheStatus(initRes.headers) : null,
        segment: cacheStatus(seg.headers),
      },
    };
  } catch (e) {
    return { ok: false, error: (e instanceof Error ? e.message : String(e)).slice(0, 300) };
  } finally {
    if (!handedOver) agent.destroy();
  }
}

/**
 * Waits (up to 60 s) until a single play works again, e.g. after the gateway opened a circuit.
 * @param {string} elb
 * @param {string} token
 * @param {string} title
 */
async function untilPlayWorks(elb, token, title) {
  const deadline = performance.now() + 60_000;
  await sleep(1000);
  for (;;) {
    const r = await viewer(elb, token, title);
    if (r.ok === true) return;
    if (performance.now() > deadline) throw new Error(`plays still fail after 60 s: ${r.error}`);
    await sleep(500);
  }
}

/**
 * One viewer of the staggered run: waits `delayMs`, starts (measured as `viewer` does), then keeps
 * watching — the next segment of its lowest variant every 4 s — until `untilMs` (performance.now()).
 * @param {string} elb
 * @param {string} token
 * @param {string} title
 * @param {number} delayMs
 * @param {number} untilMs
 * @returns {Promise<Viewer>}
 */
async function watchingViewer(elb, token, title, delayMs, untilMs) {
  await sleep(delayMs);
  const started = await viewer(elb, token, title, { keepWatching: true });
  if (!started.ok || !started.watch) return started;
  const { agent, variant, segments } = started.watch;
  delete started.watch;
  let streamed = 0;
  try {
    for (let i = 1; performance.now() < untilMs; i++) {
      await sleep(4000);
      const seg = /** @type {string} */ (segments[i % segments.length]);
      await requestOk(resolveRef(variant, seg), { agent, keepBody: false });
      streamed++;
    }
  } catch (e) {
    started.streamError = (e instanceof Error ? e.message : String(e)).slice(0, 200);
  } finally {
    agent.destroy();
  }
  return { ...started, streamed };
}

/**
 * `n` viewers arriving at random over `arrivalSeconds`, each watching until the last has started.
 * @param {string} elb
 * @param {string} token
 * @param {string} title
 * @param {number} n
 * @param {number} arrivalSeconds
 */
function staggeredRound(elb, token, title, n, arrivalSeconds) {
  const until = performance.now() + arrivalSeconds * 1000 + 4000;
  return Promise.all(
    Array.from({ length: n }, () =>
      watchingViewer(elb, token, title, Math.random() * arrivalSeconds * 1000, until),
    ),
  );
}

/**
 * `n` viewers starting together.
 * @param {string} elb
 * @param {string} token
 * @param {string} title
 * @param {number} n
 */
function startPlayRound(elb, token, title, n) {
  return Promise.all(Array.from({ length: n }, () => viewer(elb, token, title)));
}

/**
 * "POST http://127.0.0.1:8080/api/play answered 503 {...code:"upstream-failed"...}" →
 * "POST /api/play 503 upstream-failed", so the same failure of many viewers counts as one kind.
 * @param {string} error
 */
function errorKind(error) {
  const m = /^(\w+) http:\/\/[^/]+(\/\S*) answered (\d+).*?"code":"([^"]+)"/.exec(error);
  return m ? `${m[1]} ${m[2]?.replace(/\/v\/\d+\/[^/]+\//, '/v/…/')} ${m[3]} ${m[4]}` : error;
}

/**
 * @param {Viewer[]} results
 */
function summarizeViewers(results) {
  const ok = /** @type {ViewerOk[]} */ (results.filter((r) => r.ok));
  /** @param {'totalMs' | 'playMs' | 'masterMs' | 'mediaMs' | 'initMs' | 'segmentFirstByteMs'} k */
  const pick = (k) => percentiles(ok.map((r) => r[k]));
  return {
    viewers: results.length,
    failed: results.length - ok.length,
    errors: countBy(results.flatMap((r) => (r.ok === true ? [] : [errorKind(r.error)]))),
    startPlay: pick('totalMs'),
    // every viewer, a failed one counted as an infinite latency (so a p99 with >1% failures says so)
    startPlayCountingFailures: percentiles(
      results.map((r) => (r.ok === true ? r.totalMs : Number.POSITIVE_INFINITY)),
    ),
    playApi: pick('playMs'),
    master: pick('masterMs'),
    mediaPlaylist: pick('mediaMs'),
    init: pick('initMs'),
    segmentFirstByte: pick('segmentFirstByteMs'),
    segmentCacheStatus: countBy(ok.map((r) => r.cache.segment ?? 'none')),
    edges: countBy(ok.map((r) => r.edge)),
  };
}

/**
 * One kind of run's results.
 * @typedef {ReturnType<typeof summarizeViewers> & {
 *   title: string, rounds: number, raw: Viewer[], cpuMsPerViewer?: CpuPerOp, warmup?: Viewer,
 *   arrivalSeconds?: number, segmentsStreamed?: number, streamErrors?: number }} Run
 */
/**
 * @typedef {object} StartPlayResult
 * @property {Run} [cold]
 * @property {unknown} [prewarm] what `flix prewarm --json` answered
 * @property {number} [prewarmSeconds]
 * @property {Run} [warm]
 * @property {Run} [warmStaggered]
 * @property {Run} [warmSequential]
 */

/**
 * Runs `body` and adds the CPU the cluster and this client used meanwhile to `acc`.
 * @template T
 * @param {Map<number, string>} kinds
 * @param {CpuSeconds} acc
 * @param {() => Promise<T>} body
 */
async function countingCpu(kinds, acc, body) {
  const since = cpuSnapshot(kinds);
  const result = await body();
  addCpuSince(acc, since, kinds);
  return result;
}

/**
 * @param {PlaybackContext} ctx
 * @param {Options} o
 * @param {(result: StartPlayResult) => void} save
 */
async function measure({ cli, elb, token, titles, kinds }, o, save) {
  const { viewers, rounds, sequential, arrivalSeconds } = o;
  const warmTitle = titles.warm;
  /** @type {StartPlayResult} */
  const part1 = {};
  if (titles.cold) {
    // services warm (one play of the other title), the title cold: nobody played it, no edge holds it
    await untilPlayWorks(elb, token, warmTitle);
    log(`part 1: ${viewers} viewers start the cold title ${titles.cold} together`);
    const results = await startPlayRound(elb, token, titles.cold, viewers);
    part1.cold = { title: titles.cold, rounds: 1, ...summarizeViewers(results), raw: results };
  }
  log(`part 1: prewarm ${warmTitle}`);
  const t0 = performance.now();
  part1.prewarm = cli.json('prewarm', '--title', warmTitle, '--json');
  part1.prewarmSeconds = (performance.now() - t0) / 1000;
  const warmup = await viewer(elb, token, warmTitle);
  if (warmup.ok === false) throw new Error(`warm-up play failed: ${warmup.error}`);
  log(`part 1: ${rounds} rounds of ${viewers} viewers starting the warm title together`);
  /** @type {Viewer[]} */
  const all = [];
  /** @type {CpuSeconds} */
  const cpu = {};
  for (let r = 0; r < rounds; r++) {
    // so an opened circuit or a backlog of one round does not spill into the next
    await untilPlayWorks(elb, token, warmTitle);
    all.push(...(await countingCpu(kinds, cpu, () => startPlayRound(elb, token, warmTitle, viewers))));
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
    /** @type {CpuSeconds} */
    const cpuS = {};
    const watched = await countingCpu(kinds, cpuS, () =>
      staggeredRound(elb, token, warmTitle, viewers, arrivalSeconds),
    );
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
    /** @type {Viewer[]} */
    const one = [];
    /** @type {CpuSeconds} */
    const cpu1 = {};
    await countingCpu(kinds, cpu1, async () => {
      for (let i = 0; i < sequential; i++) one.push(await viewer(elb, token, warmTitle));
    });
    part1.warmSequential = {
      title: warmTitle,
      rounds: sequential,
      ...summarizeViewers(one),
      cpuMsPerViewer: cpuPerOp(cpu1, one.length),
      raw: one,
    };
  }
  save(part1);
}

/**
 * @param {StartPlayResult} p
 * @param {Options} o
 * @param {number} cores
 */
function print(p, { viewers }, cores) {
  console.log(
    `\n1. start-play latency (ms), ${viewers} viewers starting together through the ELB (percentiles over the viewers that got to play)`,
  );
  console.log(
    '   play request sent → first byte of the first media segment (lowest variant, after master, media playlist, init)',
  );
  /** @type {Array<[string, Run | undefined, string]>} */
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
  /** @type {import('./lib/table.mjs').Cell[][]} */
  const rows = [];
  for (const [, v, label] of kinds) {
    if (!v) continue;
    rows.push([...percentileRow(`${label}: start-play`, v.startPlay), v.failed]);
    rows.push([...percentileRow('  play API alone', v.playApi), '']);
    rows.push([...percentileRow('  master playlist', v.master), '']);
    rows.push([...percentileRow('  media playlist', v.mediaPlaylist), '']);
    rows.push([...percentileRow('  init segment', v.init), '']);
    rows.push([...percentileRow('  first segment, first byte', v.segmentFirstByte), '']);
  }
  printTable(['', 'n ok', 'p50', 'p90', 'p99', 'max', 'failed'], rows);
  for (const [k, v] of kinds) {
    if (!v) continue;
    if (v.cpuMsPerViewer) console.log(`   ${k}: CPU ms per viewer: ${v.cpuMsPerViewer.text}`);
    console.log(
      `   ${k}: ${v.failed} failed${v.failed ? ` ${JSON.stringify(v.errors)}` : ''}; first segment X-Cache-Status ${JSON.stringify(v.segmentCacheStatus)}; edges ${JSON.stringify(v.edges)}`,
    );
  }
  if (!p.warm) return;
  if (p.warm.cpuMsPerViewer) {
    const floor = (viewers * p.warm.cpuMsPerViewer.totalMs) / cores;
    console.log(
      `   a burst of ${viewers} plays costs ${viewers} × ${p.warm.cpuMsPerViewer.totalMs.toFixed(1)} ms CPU ÷ ${cores} cores ≈ ${floor.toFixed(0)} ms of machine time: the last viewer cannot start sooner (CPU counted over the cluster's processes and this client, background included)`,
    );
  }
  /** @type {Array<[string, Run | undefined]>} */
  const together = [
    ['starting together', p.warm],
    ['watching together', p.warmStaggered],
  ];
  for (const [label, v] of together) {
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

/** @type {import('./lib/playback.mjs').PlaybackPart<typeof options, StartPlayResult>} */
export const startPlay = {
  key: 'part1',
  name: 'start-play',
  description,
  options,
  wantsColdTitle: (o) => !o.skipCold,
  measure,
  print,
};

if (isScript(import.meta.url))
  await runPlayback(process.argv.slice(2), {
    title: 'start-play',
    usage: `node bench/start-play.mjs [options]\n\n${description}`,
    parts: [startPlay],
  });
