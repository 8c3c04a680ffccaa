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
import { benchSource, ensureSource, proresSource } from './lib/fixtures.mjs';
import { flixCli, root, upCluster } from './lib/flix.mjs';
import { addCpuSince, componentKinds, cpuSnapshot, loadAverage, untilIdle } from './lib/proc.mjs';
import { writeResults } from './lib/results.mjs';
import { median, sum } from './lib/stats.mjs';
import { printLine } from './lib/table.mjs';

const o = parseArgs(process.argv.slice(2), {
  usage: `node bench/ingest-ladder.mjs [options]

A source through \`flix ingest --wait\` to the default ladder, against the single ffmpeg command
that makes the same ladder in one pass (one decode, -filter_complex split, the same encoder
settings, HLS output), side by side in one run on the same machine. Sources (made by
\`bash fixtures/make-fixtures.sh bench\` when missing): h264, 30 s 1080p30 testsrc2 + stereo;
prores, 20 s ProRes 422 HQ 10-bit 1080p23.976 with 24-bit PCM 5.1 and a timecode track.
Reports wall seconds, the ratio, where flix's seconds go (upload, then each stage) and the CPU
seconds of both (flix: every process of the cluster plus the CLI).
It starts its own cluster (and stops it) unless --keep-cluster names a running one.`,
  options: {
    cluster: string('default', 'the cluster definition: a built-in name or a file', 'ci|default|FILE'),
    source: string('h264', 'the source: h264, prores, or a file', 'h264|prores|FILE'),
    // rendition: one task per chunk × rendition, as the design asks; chunk: one task per chunk
    // making every rendition from one decode
    taskShape: choice(
      null,
      /** @type {const} */ (['rendition', 'chunk']),
      "the orchestrator's encode tasks (default: the cluster file's)",
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
const source = o.source === 'h264' ? benchSource : o.source === 'prores' ? proresSource : o.source;

/** The cluster file, with the orchestrator's task shape (and the encode settings asked for) set. */
function clusterFileWithSettings() {
  const doc = parseDocument(readFileSync(resolveClusterFile(clusterArg), 'utf8'));
  if (taskShape !== null) doc.setIn(['services', 'orchestrator', 'taskShape'], taskShape);
  if (threads !== null) doc.setIn(['services', 'transcoder', 'threads'], threads);
  if (chunkSegments !== null) doc.setIn(['services', 'orchestrator', 'chunkSegments'], chunkSegments);
  const file = join(mkdtempSync(join(tmpdir(), 'flix-bench-cluster-')), 'cluster.yaml');
  writeFileSync(file, doc.toString());
  return file;
}

/**
 * Wall and CPU seconds (user + system, its children included: bash's \`times\`) of a command.
 * @param {string} file
 * @param {string[]} argv
 */
function timed(file, argv) {
  const t0 = performance.now();
  const r = spawnSync(
    'bash',
    ['-c', '"$@" >/dev/null 2>"$ERR"; s=$?; times >&3; exit $s', '_', file, ...argv],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
      env: { ...process.env, ERR: '/dev/null' },
    },
  );
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${file} ${argv.slice(0, 3).join(' ')}… exited ${r.status}`);
  // `times`: the shell's user/system, then its children's: "0m12.345s 0m1.234s"
  const line =
    String(r.output[3] ?? '')
      .trim()
      .split('\n')[1] ?? '';
  const secs = [...line.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return { wall, cpu: secs.reduce((a, b) => a + b, 0) };
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
const kinds = componentKinds(cli.json('status', '--json').components);
try {
  for (let i = 0; i < runs; i++) {
    const out = mkdtempSync(join(tmpdir(), 'flix-bench-ref-'));
    // both sides start on a settled machine (a cluster just up is not): an idle cluster keeps ~25 % busy
    await untilIdle(0.6, 120_000);
    const load = loadAverage();
    const ref = timed('ffmpeg', singlePassLadderArgs(source, ladder, out));
    rmSync(out, { recursive: true, force: true });
    console.error(
      `run ${i + 1}: single ffmpeg command ${ref.wall.toFixed(1)} s, ${ref.cpu.toFixed(1)} CPU s (load ${load})`,
    );

    const outFile = join(mkdtempSync(join(tmpdir(), 'flix-bench-ingest-')), 'ingest.json');
    await untilIdle(0.6, 120_000);
    const before = cpuSnapshot(kinds);
    const run = timed('bash', [
      '-c',
      `"${process.execPath}" "${join(root, 'bin', 'run.js')}" "$@" > "${outFile}"`,
      '_',
      'ingest',
      source,
      '--title',
      `bench ${process.pid} ${i}`,
      '--wait',
      '--json',
      '--name',
      name,
    ]);
    /** @type {Record<string, number>} */
    const cpu = addCpuSince({ flix: run.cpu }, before, kinds);
    delete cpu['(this client)'];
    const wall = run.wall;
    /** @type {{ id: string, uploadSeconds: number }} */
    const ingest = JSON.parse(readFileSync(outFile, 'utf8'));
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
      referenceCpuSeconds: ref.cpu,
      flixCpuSeconds: sum(Object.values(cpu)),
      cpu,
      uploadSeconds: ingest.uploadSeconds,
      loadBefore: load,
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
  `ratio flix / single command (target ≤ ${o.source === 'prores' ? '1.15' : '1.10'})`,
  `${median(results.map((r) => r.ratio)).toFixed(2)}x`,
  width,
);
printLine(
  'CPU seconds: single command',
  `${median(results.map((r) => r.referenceCpuSeconds)).toFixed(1)} s`,
  width,
);
printLine(
  'CPU seconds: flix (cluster + CLI)',
  `${median(results.map((r) => r.flixCpuSeconds)).toFixed(1)} s`,
  width,
);
const last = results.at(-1);
if (last) {
  console.log(`where the last run's seconds went (load before it: ${last.loadBefore}):`);
  console.log(`  ${'upload'.padEnd(10)} ${last.uploadSeconds.toFixed(1)} s`);
  for (const [k, v] of Object.entries(last.stageTimes))
    console.log(`  ${k.padEnd(10)} ${v === null ? '-' : `${v.toFixed(1)} s`}`);
  console.log(
    `  (${last.tasks} encode tasks, ${last.encodeSecondsSum.toFixed(1)} s of encoding summed over workers: ${Object.entries(
      last.perWorker,
    )
      .map(([w, x]) => `${w} ${x.toFixed(1)} s`)
      .join(', ')})`,
  );
  console.log(
    `  CPU seconds by component: ${Object.entries(last.cpu)
      .sort((a, b) => b[1] - a[1])
      .filter(([, v]) => v >= 0.05)
      .map(([k, v]) => `${k} ${v.toFixed(1)}`)
      .join(', ')}`,
  );
}
writeResults('ingest-ladder', { cluster: clusterArg, taskShape, threads, source: info, ladder, results });
