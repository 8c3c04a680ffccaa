#!/usr/bin/env node
// @ts-check
// Ingest benchmark (run on purpose, never as a test). Options: --help.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { resolveClusterFile } from '../dist/lib/cluster/definition.js';
import { planLadder } from '../dist/lib/media/ladder.js';
import { probeMedia } from '../dist/lib/media/probe.js';
import { singlePassLadderArgs } from '../dist/lib/media/single-pass.js';
import { choice, number, parseArgs, string } from './lib/args.mjs';
import { cleanup, onCleanup } from './lib/cleanup.mjs';
import { benchSource, ensureSource } from './lib/fixtures.mjs';
import { flixCli, upCluster } from './lib/flix.mjs';
import { writeResults } from './lib/results.mjs';
import { median, sum } from './lib/stats.mjs';
import { printLine } from './lib/table.mjs';

const o = parseArgs(process.argv.slice(2), {
  usage: `node bench/ingest-ladder.mjs [options]

A 30 s 1080p30 synthetic source (testsrc2 + sine, made by \`bash fixtures/make-fixtures.sh bench\`
when missing) through \`flix ingest --wait\` to the default ladder, against the single ffmpeg
command that makes the same ladder in one pass (one decode, -filter_complex split, the same
encoder settings, HLS output), side by side in one run on the same machine.
It starts its own cluster (and stops it) unless --keep-cluster names a running one.`,
  options: {
    cluster: string('ci', 'the cluster definition: a built-in name or a file', 'ci|default|FILE'),
    // rendition: one task per chunk × rendition, as the design asks; chunk: one task per chunk
    // making every rendition from one decode
    taskShape: choice(
      'rendition',
      /** @type {const} */ (['rendition', 'chunk']),
      "the orchestrator's encode tasks",
    ),
    threads: number(null, 'ffmpeg threads per transcoder (default: the cluster file)'),
    chunkSegments: number(null, 'segments per chunk (default: the cluster file)'),
    runs: number(1, 'runs of both (the median is reported)'),
    keepCluster: string(null, 'use this running cluster (and leave it running)', 'NAME'),
  },
});
const { taskShape, threads, chunkSegments, runs, keepCluster } = o;
const clusterArg = o.cluster;
const name = keepCluster ?? `bench-ingest-${process.pid}`;
const cli = flixCli(name);
const source = benchSource;

/** The cluster file, with the orchestrator's task shape (and the encode settings asked for) set. */
function clusterFileWithSettings() {
  const doc = parseDocument(readFileSync(resolveClusterFile(clusterArg), 'utf8'));
  doc.setIn(['services', 'orchestrator', 'taskShape'], taskShape);
  if (threads !== null) doc.setIn(['services', 'transcoder', 'threads'], threads);
  if (chunkSegments !== null) doc.setIn(['services', 'orchestrator', 'chunkSegments'], chunkSegments);
  const file = join(mkdtempSync(join(tmpdir(), 'flix-bench-cluster-')), 'cluster.yaml');
  writeFileSync(file, doc.toString());
  return file;
}

/**
 * Wall seconds of a child process.
 * @param {string} file
 * @param {string[]} argv
 */
function timed(file, argv) {
  const t0 = performance.now();
  const r = spawnSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${file} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  return { wall };
}

const cluster = clusterFileWithSettings();
ensureSource(source);
const info = await probeMedia(source);
if (!info.video) throw new Error(`${source} has no video stream`);
const ladder = planLadder(info);
console.error(
  `source ${info.video.width}x${info.video.height} ${info.durationSeconds.toFixed(1)} s; ladder ${ladder.video.map((/** @type {{ name: string }} */ v) => v.name).join(' ')} + ${ladder.audio ? 'AAC' : 'no audio'}`,
);

if (!keepCluster) {
  console.error(
    `starting cluster ${name} (${clusterArg}, task shape ${taskShape}, ffmpeg threads ${threads ?? 'from the cluster file'}) ...`,
  );
  const { down } = upCluster(cli, cluster);
  onCleanup(() => {
    if (!down()) process.exitCode = 1;
  });
}

/**
 * What `flix titles show --json` says of a title's encode tasks and stages.
 * @typedef {{ tasks: Array<{ worker: string, encodeSeconds: number | null }>, stageTimes: Record<string, number | null> }} TitleShow
 */

const results = [];
try {
  for (let i = 0; i < runs; i++) {
    const out = mkdtempSync(join(tmpdir(), 'flix-bench-ref-'));
    const ref = timed('ffmpeg', singlePassLadderArgs(source, ladder, out));
    rmSync(out, { recursive: true, force: true });
    console.error(`run ${i + 1}: single ffmpeg command ${ref.wall.toFixed(1)} s`);

    const t0 = performance.now();
    /** @type {{ id: string }} */
    const ingest = cli.json('ingest', source, '--title', `bench ${process.pid} ${i}`, '--wait', '--json');
    const wall = (performance.now() - t0) / 1000;
    /** @type {TitleShow} */
    const show = cli.json('titles', 'show', ingest.id, '--json');
    /** @type {Record<string, number>} */
    const perWorker = {};
    for (const t of show.tasks) perWorker[t.worker] = (perWorker[t.worker] ?? 0) + (t.encodeSeconds ?? 0);
    results.push({
      run: i + 1,
      referenceSeconds: ref.wall,
      flixSeconds: wall,
      ratio: wall / ref.wall,
      stageTimes: show.stageTimes,
      encodeSecondsSum: sum(show.tasks.flatMap((t) => (t.encodeSeconds === null ? [] : [t.encodeSeconds]))),
      perWorker,
      tasks: show.tasks.length,
    });
    console.error(`run ${i + 1}: flix ingest --wait ${wall.toFixed(1)} s (${(wall / ref.wall).toFixed(2)}x)`);
    cli.json('titles', 'delete', ingest.id, '--json');
  }
} finally {
  cleanup();
}

const width = 52;
console.log('');
printLine(
  'single ffmpeg command (one decode, split, HLS)',
  `${median(results.map((r) => r.referenceSeconds)).toFixed(1)} s`,
  width,
);
printLine(
  'flix ingest --wait (upload → published)',
  `${median(results.map((r) => r.flixSeconds)).toFixed(1)} s`,
  width,
);
printLine(
  'ratio flix / single command (target ≤ 1.10)',
  `${median(results.map((r) => r.ratio)).toFixed(2)}x`,
  width,
);
const last = results.at(-1);
if (last) {
  console.log('stage times of the last run:');
  for (const [k, v] of Object.entries(last.stageTimes))
    console.log(`  ${k.padEnd(10)} ${v === null ? '-' : `${v.toFixed(1)} s`}`);
  console.log(
    `  (${last.tasks} encode tasks, ${last.encodeSecondsSum.toFixed(1)} s of encoding summed over workers: ${Object.entries(
      last.perWorker,
    )
      .map(([w, x]) => `${w} ${x.toFixed(1)} s`)
      .join(', ')})`,
  );
}
writeResults('ingest-ladder', { cluster: clusterArg, taskShape, threads, source: info, ladder, results });
