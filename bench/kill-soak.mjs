#!/usr/bin/env node
// @ts-check
// Kill soak (run on purpose, never as a test). Options: --help.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { parseDocument } from 'yaml';
import { resolveClusterFile } from '../dist/lib/cluster/definition.js';
import { clusterSecrets } from '../dist/lib/cluster/secrets.js';
import { clusterPaths } from '../dist/lib/core/paths.js';
import { originBucket } from '../dist/lib/engines/credentials.js';
import { originClient } from '../dist/lib/engines/origin/client.js';
import { mulberry32 } from '../dist/lib/load/schedule.js';
import { rideOut } from '../dist/lib/platform/outage.js';
import { number, parseArgs, string } from './lib/args.mjs';
import { cleanup, onCleanup } from './lib/cleanup.mjs';
import { flixCli, root, upCluster } from './lib/flix.mjs';
import { loadAverage } from './lib/proc.mjs';
import { writeResults } from './lib/results.mjs';
import { median } from './lib/stats.mjs';
import { printTable } from './lib/table.mjs';

const VICTIMS = ['orchestrator', 'transcoder', 'origin', 'kafka', 'mysql', 'client'];

const o = parseArgs(process.argv.slice(2), {
  usage: `node bench/kill-soak.mjs [options]

N trials of \`flix ingest --wait\`, each with one SIGKILL of a random component — the
orchestrator, a transcoder, the origin, Kafka, MySQL, or the uploading client itself — at a
random moment of the ingest. The supervisor restarts a killed component; a killed client is
resumed with \`flix ingest --resume ID --wait\`. Each title is then checked from outside:
the original kept and MD5-equal to the file, every published object MD5-equal to what the
catalog recorded, ffmpeg decoding HLS and DASH through an edge, nothing under work/ and no
component scratch files left. A summary table per victim at the end.
Goal: 0 lost originals, 0 corrupt titles, 0 failed titles, 0 stuck titles.
It starts its own CI cluster (with a restart budget of 100 in 10 min, and stops it) unless
--keep-cluster names a running one (whose budget then applies: 5 in 10 min by default).`,
  options: {
    trials: number(50, 'trials'),
    maxDelay: number(8, 'the kill comes 0.5 s to this many seconds after the ingest starts', 'SECONDS'),
    clipSeconds: number(12, 'length of the synthetic 426x240 clip ingested each trial', 'SECONDS'),
    timeout: number(300, 'a title not ready this long after its kill counts as stuck', 'SECONDS'),
    seed: number(1, 'seed of the victims and moments (a run is repeatable)'),
    victims: string(VICTIMS.join(','), 'the components that may be killed', 'LIST'),
    keepCluster: string(null, 'use this running cluster (and leave it running)', 'NAME'),
  },
});
const name = o.keepCluster ?? `bench-soak-${process.pid}`;
const cli = flixCli(name);
const victims = o.victims.split(',').map((v) => v.trim());
for (const v of victims) if (!VICTIMS.includes(v)) throw new Error(`unknown victim ${v}: one of ${VICTIMS}`);
const log = (/** @type {string} */ s) => process.stderr.write(`${s}\n`);
const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

// seeded, so a run's victims and moments can be replayed
const random = mulberry32(o.seed);

const scratch = mkdtempSync(join(tmpdir(), 'flix-kill-soak-'));
onCleanup(() => rmSync(scratch, { recursive: true, force: true }));
const clip = join(scratch, 'soak.mp4');
spawnSync('ffmpeg', [
  ...['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=426x240:rate=30:duration=${o.clipSeconds}`],
  ...['-f', 'lavfi', '-i', `sine=frequency=440:duration=${o.clipSeconds}`],
  ...['-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-shortest', clip],
]);
const clipMd5 = createHash('md5').update(readFileSync(clip)).digest('hex');

/** @param {string[]} args */
function startFlix(args) {
  const child = spawn(process.execPath, [join(root, 'bin', 'run.js'), ...args, '--name', name], {
    env: { ...process.env, CI: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  /** @type {Promise<{ code: number | null, signal: string | null, stdout: string, stderr: string }>} */
  const done = new Promise((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

/** @returns {any} */
function tryJson(/** @type {string[]} */ ...args) {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'run.js'), ...args, '--name', name, '--json'], {
    encoding: 'utf8',
    env: { ...process.env, CI: '1' },
    maxBuffer: 64 * 2 ** 20,
  });
  try {
    return { exitCode: r.status, json: JSON.parse(r.stdout) };
  } catch {
    return { exitCode: r.status, json: null };
  }
}

/** @param {string} victim */
function pickComponent(victim) {
  const comps = cli.json('status', '--json').components;
  const matching = comps.filter((/** @type {any} */ c) =>
    victim === 'transcoder'
      ? c.name.startsWith('transcoder-')
      : victim === 'orchestrator'
        ? c.name.startsWith('orchestrator-')
        : c.name === victim,
  );
  return matching[Math.floor(random() * matching.length)];
}

/** Every component healthy again (a killed one restarted), so the next trial starts from a whole cluster. */
/** @param {number} deadlineMs */
async function awaitHealthy(deadlineMs) {
  while (Date.now() < deadlineMs) {
    const comps = tryJson('status').json?.components ?? [];
    if (comps.length > 0 && comps.every((/** @type {any} */ c) => c.state === 'healthy')) return true;
    await sleep(500);
  }
  return false;
}

// the checker's own calls to the origin ride out its restarts too (a pooled socket of a killed
// origin answers "socket hang up")
const patiently = (/** @type {() => Promise<any>} */ fn) => rideOut(fn, { deadlineMs: 60_000 });

/** @param {any} s3 @param {string} key */
function objectMd5(s3, key) {
  return patiently(async () => {
    const r = await s3.send(new GetObjectCommand({ Bucket: originBucket, Key: key }));
    const hash = createHash('md5');
    for await (const chunk of /** @type {AsyncIterable<Buffer>} */ (r.Body)) hash.update(chunk);
    return hash.digest('hex');
  });
}

/** @param {any} s3 @param {string} prefix */
function keysUnder(s3, prefix) {
  return patiently(async () => {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: originBucket, Prefix: prefix }));
    return (r.Contents ?? []).map((/** @type {any} */ c) => /** @type {string} */ (c.Key));
  });
}

function scratchLeftovers() {
  const dir = clusterPaths(name).scratch;
  const out = [];
  for (const component of readdirSync(dir)) {
    for (const f of readdirSync(join(dir, component))) out.push(`${component}/${f}`);
  }
  return out;
}

/** @param {string} url */
function decodes(url) {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-i', url, '-f', 'null', '-'], { encoding: 'utf8' });
  return r.status === 0 && !r.stderr.trim() ? null : r.stderr.trim().split('\n')[0] || `exit ${r.status}`;
}

/** One trial: ingest, one kill, then every check. */
/** @param {number} i @param {any} s3 */
async function trial(i, s3) {
  const victim = /** @type {string} */ (victims[Math.floor(random() * victims.length)]);
  const delayMs = Math.round(500 + random() * (o.maxDelay * 1000 - 500));
  const title = `Soak ${o.seed}-${i} ✂`;
  const t0 = Date.now();
  const ingest = startFlix([
    'ingest',
    clip,
    '--title',
    title,
    '--wait',
    '--json',
    '--timeout',
    String(o.timeout),
  ]);
  await Promise.race([sleep(delayMs), ingest.done]);
  let killed = '-';
  const stageAtKill = tryJson('titles', 'show', title).json?.stage ?? 'none';
  if (victim === 'client') {
    ingest.child.kill('SIGKILL');
    killed = 'client';
  } else {
    const c = pickComponent(victim);
    try {
      process.kill(c.pid, 'SIGKILL');
      killed = c.name;
    } catch {
      killed = `${c.name} (gone)`;
    }
  }
  let r = await ingest.done;
  const problems = [];
  let shown = tryJson('titles', 'show', title);
  if (victim === 'client' && r.signal === 'SIGKILL') {
    // the client died: resume what it started, or start again if it had written nothing yet
    if (shown.exitCode === 0)
      r = await startFlix(['ingest', '--resume', shown.json.id, '--wait', '--json']).done;
    else r = await startFlix(['ingest', clip, '--title', title, '--wait', '--json']).done;
    shown = tryJson('titles', 'show', title);
  }
  // every component back first, so the checks see the cluster whole
  const healthy = await awaitHealthy(Date.now() + 120_000);
  if (!healthy) problems.push('a component is not healthy again');
  if (r.code !== 0) problems.push(`ingest exited ${r.code}: ${r.stderr.trim().split('\n').at(-1)}`);
  const t = shown.json;
  let outcome = t?.status ?? 'missing';
  if (outcome !== 'ready' && outcome !== 'failed') outcome = 'stuck';
  let lost = false;
  let corrupt = false;
  let leftovers = [];
  if (t?.id) {
    const originals = await keysUnder(s3, `originals/${t.id}/`);
    lost = originals.length !== 1 || (await objectMd5(s3, /** @type {string} */ (originals[0]))) !== clipMd5;
    if (lost) problems.push(`original ${originals.length === 1 ? 'differs' : 'missing'}`);
    if (outcome === 'ready') {
      for (const obj of t.objects) {
        if ((await objectMd5(s3, obj.key)) !== obj.md5) {
          corrupt = true;
          problems.push(`${obj.key} differs from the catalog's MD5`);
        }
      }
      for (const [proto, url] of [
        ['HLS', t.manifests?.hlsUrl],
        ['DASH', t.manifests?.dashUrl],
      ]) {
        const why = url ? decodes(url) : 'no manifest';
        if (why) {
          corrupt = true;
          problems.push(`ffmpeg cannot decode the ${proto}: ${why}`);
        }
      }
    }
    // a kill can make Kafka hand out tasks again that were done already: their encodes may still
    // be in flight when the title is ready, and their results delete them as they come in — so a
    // work/ object counts as left over only if it is still there after an encode's time
    leftovers = await keysUnder(s3, `work/${t.id}/`);
    for (let wait = 0; leftovers.length > 0 && wait < 30; wait++) {
      await sleep(1000);
      leftovers = await keysUnder(s3, `work/${t.id}/`);
    }
  }
  const scratchLeft = scratchLeftovers();
  if (leftovers.length) problems.push(`${leftovers.length} work/ objects left`);
  if (scratchLeft.length) problems.push(`scratch left: ${scratchLeft.slice(0, 3).join(', ')}`);
  if (t?.id) tryJson('titles', 'delete', t.id);
  const row = {
    trial: i,
    victim,
    killed,
    delayMs,
    stageAtKill,
    outcome,
    seconds: (Date.now() - t0) / 1000,
    lost,
    corrupt,
    leftovers: leftovers.length + scratchLeft.length,
    problems,
  };
  log(
    `trial ${i}: killed ${killed} at ${(delayMs / 1000).toFixed(1)} s (${stageAtKill}) → ${outcome} in ${row.seconds.toFixed(1)} s${problems.length ? ` — ${problems.join('; ')}` : ''}`,
  );
  return row;
}

let stop = () => true;
try {
  if (!o.keepCluster) {
    // the CI cluster, with a restart budget for a crash campaign: its 5 restarts in 10 min would
    // leave a component down after its fifth kill (as it should on a cluster that crash-loops)
    const doc = parseDocument(readFileSync(resolveClusterFile('ci'), 'utf8'));
    doc.setIn(['restart', 'maxRestarts'], 100);
    const clusterFile = join(scratch, 'soak-cluster.yaml');
    writeFileSync(clusterFile, doc.toString());
    const up = upCluster(cli, clusterFile, { log });
    stop = up.down;
    onCleanup(() => stop());
  }
  const endpoint = cli
    .json('status', '--json')
    .components.find((/** @type {any} */ c) => c.name === 'origin').endpoint;
  const s3 = originClient(endpoint, await clusterSecrets(name));
  const load = [loadAverage()];
  const rows = [];
  for (let i = 1; i <= o.trials; i++) {
    try {
      rows.push(await trial(i, s3));
    } catch (e) {
      // the checker itself could not go on (the cluster is not whole): say so, end with the table
      log(`trial ${i}: the soak stops: ${e instanceof Error ? e.message : e}`);
      break;
    }
  }
  load.push(loadAverage());
  s3.destroy();

  const table = [];
  for (const v of [...victims, 'all']) {
    const mine = rows.filter((r) => v === 'all' || r.victim === v);
    if (mine.length === 0) continue;
    const ready = mine.filter((r) => r.outcome === 'ready');
    table.push([
      v,
      mine.length,
      ready.length,
      mine.filter((r) => r.outcome === 'failed').length,
      mine.filter((r) => r.outcome === 'stuck' || r.outcome === 'missing').length,
      mine.filter((r) => r.lost).length,
      mine.filter((r) => r.corrupt).length,
      mine.filter((r) => r.leftovers > 0).length,
      ready.length ? `${median(ready.map((r) => r.seconds)).toFixed(1)} s` : '-',
    ]);
  }
  console.log(
    `\nkill soak: ${o.trials} trials, seed ${o.seed}, ${o.clipSeconds} s clip, kill at 0.5–${o.maxDelay} s; load average ${load.join(' → ')}`,
  );
  printTable(
    [
      'victim',
      'trials',
      'ready',
      'failed',
      'stuck',
      'lost originals',
      'corrupt',
      'leftovers',
      'median to ready',
    ],
    table,
  );
  const bad = rows.filter((r) => r.problems.length > 0);
  for (const r of bad) console.log(`trial ${r.trial} (${r.killed}): ${r.problems.join('; ')}`);
  writeResults('kill-soak', { options: o, load, rows });
  process.exitCode = bad.length ? 1 : 0;
} finally {
  cleanup();
}
