#!/usr/bin/env node
// Ingest benchmark (run on purpose, never as a test): a 30 s 1080p30 synthetic source
// (testsrc2 + sine) through `flix ingest --wait` to the default ladder, against the single ffmpeg
// command that makes the same ladder in one pass (one decode, -filter_complex split, the same
// encoder settings, HLS output), side by side in one run on the same machine.
//
//   node bench/ingest-ladder.mjs [--cluster ci] [--task-shape rendition|chunk] [--threads N] [--chunk-segments N] [--runs 1] [--keep-cluster NAME]
//
// It starts its own cluster (and stops it) unless --keep-cluster names a running one.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';

const root = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const opt = (n, d) => (args.includes(`--${n}`) ? args[args.indexOf(`--${n}`) + 1] : d);
const taskShape = opt('task-shape', 'rendition');
const threads = opt('threads', null);
const chunkSegments = opt('chunk-segments', null);
const clusterArg = opt('cluster', 'ci');
// the cluster file, with the orchestrator's task shape set: rendition (one task per chunk x
// rendition, as the design asks) or chunk (one task per chunk making every rendition from one decode)
const cluster = (() => {
  const base = readFileSync(
    /^[a-z0-9-]+$/.test(clusterArg) ? join(root, 'cluster', `${clusterArg}.yaml`) : clusterArg,
    'utf8',
  );
  const file = join(mkdtempSync(join(tmpdir(), 'flix-bench-cluster-')), 'cluster.yaml');
  const doc = parseDocument(base);
  doc.setIn(['services', 'orchestrator', 'taskShape'], taskShape);
  if (threads !== null) doc.setIn(['services', 'transcoder', 'threads'], Number(threads));
  if (chunkSegments !== null) doc.setIn(['services', 'orchestrator', 'chunkSegments'], Number(chunkSegments));
  writeFileSync(file, doc.toString());
  return file;
})();
const runs = Number(opt('runs', '1'));
const kept = opt('keep-cluster', null);
const name = kept ?? `bench-ingest-${process.pid}`;
const bin = join(root, 'bin', 'run.js');
const source = join(root, 'fixtures', 'media', 'bench-1080p30.mp4');

const { probeMedia } = await import(join(root, 'dist', 'lib', 'media', 'probe.js'));
const { planLadder } = await import(join(root, 'dist', 'lib', 'media', 'ladder.js'));
const { singlePassLadderArgs } = await import(join(root, 'dist', 'lib', 'media', 'single-pass.js'));

function flix(...a) {
  const r = spawnSync(process.execPath, [bin, ...a, '--name', name], {
    encoding: 'utf8',
    env: { ...process.env, CI: '1' },
  });
  if (r.status !== 0) throw new Error(`flix ${a.join(' ')} exited ${r.status}\n${r.stderr}`);
  return r.stdout ? JSON.parse(r.stdout) : null;
}

/** Wall seconds of a child process. */
function timed(file, argv) {
  const t0 = performance.now();
  const r = spawnSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${file} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  return { wall };
}

if (!existsSync(source))
  execFileSync('bash', [join(root, 'fixtures', 'make-fixtures.sh'), 'bench'], { stdio: 'inherit' });
const info = await probeMedia(source);
const ladder = planLadder(info);
console.error(
  `source ${info.video.width}x${info.video.height} ${info.durationSeconds.toFixed(1)} s; ladder ${ladder.video.map((v) => v.name).join(' ')} + ${ladder.audio ? 'AAC' : 'no audio'}`,
);

if (!kept) {
  console.error(
    `starting cluster ${name} (${clusterArg}, task shape ${taskShape}, ffmpeg threads ${threads ?? 'from the cluster file'}) ...`,
  );
  flix('up', '--cluster', cluster, '--json');
}

const results = [];
try {
  for (let i = 0; i < runs; i++) {
    const out = mkdtempSync(join(tmpdir(), 'flix-bench-ref-'));
    const ref = timed('ffmpeg', singlePassLadderArgs(source, ladder, out));
    rmSync(out, { recursive: true, force: true });
    console.error(`run ${i + 1}: single ffmpeg command ${ref.wall.toFixed(1)} s`);

    const t0 = performance.now();
    const ingest = flix('ingest', source, '--title', `bench ${process.pid} ${i}`, '--wait', '--json');
    const wall = (performance.now() - t0) / 1000;
    const show = flix('titles', 'show', ingest.id, '--json');
    const encodes = show.tasks.map((t) => t.encodeSeconds).filter((x) => x !== null);
    const perWorker = {};
    for (const t of show.tasks) perWorker[t.worker] = (perWorker[t.worker] ?? 0) + (t.encodeSeconds ?? 0);
    results.push({
      run: i + 1,
      referenceSeconds: ref.wall,
      flixSeconds: wall,
      ratio: wall / ref.wall,
      stageTimes: show.stageTimes,
      encodeSecondsSum: encodes.reduce((a, b) => a + b, 0),
      perWorker,
      tasks: show.tasks.length,
    });
    console.error(`run ${i + 1}: flix ingest --wait ${wall.toFixed(1)} s (${(wall / ref.wall).toFixed(2)}x)`);
    flix('titles', 'delete', ingest.id, '--json');
  }
} finally {
  if (!kept) flix('down', '--purge', '--json');
}

const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log('');
console.log(
  `${'single ffmpeg command (one decode, split, HLS)'.padEnd(52)} ${med(results.map((r) => r.referenceSeconds)).toFixed(1)} s`,
);
console.log(
  `${'flix ingest --wait (upload → published)'.padEnd(52)} ${med(results.map((r) => r.flixSeconds)).toFixed(1)} s`,
);
console.log(
  `${'ratio flix / single command (target ≤ 1.10)'.padEnd(52)} ${med(results.map((r) => r.ratio)).toFixed(2)}x`,
);
const last = results.at(-1);
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
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
const file = join(root, 'bench', 'results', `ingest-ladder-${Date.now()}.json`);
writeFileSync(
  file,
  `${JSON.stringify({ cluster: clusterArg, taskShape, threads, source: info, ladder, results }, null, 2)}\n`,
);
console.log(`\nfull results: ${file}`);
