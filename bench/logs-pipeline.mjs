#!/usr/bin/env node
// @ts-check
// Log pipeline benchmark (run on purpose, never as a test): how long a line written to a log
// file takes to be searchable through `flix logs` (agent → Kafka → collector → Elasticsearch),
// and how many lines a second the pipeline carries, against the same documents bulk-indexed
// straight into the same Elasticsearch (the engine's own ceiling on this machine).
// `node bench/logs-pipeline.mjs --help`.
import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { endpointsFromPlan, readPlan } from '../dist/lib/cluster/endpoints.js';
import { clusterPaths } from '../dist/lib/core/paths.js';
import { elasticsearchClient } from '../dist/lib/engines/elasticsearch/client.js';
import { logDocument, logIndexTemplate } from '../dist/lib/services/log-collector/contract.js';
import { searchLogs } from '../dist/lib/services/log-collector/store.js';
import { number, parseArgs, string } from './lib/args.mjs';
import { cleanup, onCleanup } from './lib/cleanup.mjs';
import { flixCli, root, upCluster } from './lib/flix.mjs';
import { addCpuSince, componentKinds, cores, cpuPerOp, cpuSnapshot, loadAverage } from './lib/proc.mjs';
import { writeResults } from './lib/results.mjs';
import { percentiles } from './lib/stats.mjs';
import { ms, percentileRow, printTable } from './lib/table.mjs';

const options = {
  rate: number(20, 'lines a second written in the lag phase, one at a time'),
  seconds: number(20, 'seconds of the lag phase'),
  lines: number(100_000, 'lines written at once in the throughput phase'),
  keepCluster: string(
    null,
    'use this running cluster (and leave it running) instead of starting bench-logs',
    'NAME',
  ),
};
const o = parseArgs(process.argv.slice(2), {
  usage:
    'node bench/logs-pipeline.mjs [options]\n\nLog lag (written → searchable) and throughput against direct bulk indexing.',
  options,
});
const log = (/** @type {string} */ s) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${s}`);
const cli = flixCli(o.keepCluster ?? 'bench-logs');
if (!o.keepCluster) {
  const { down } = upCluster(cli, join(root, 'cluster', 'ci.yaml'), { log });
  onCleanup(() => void down());
}

const plan = await readPlan(cli.name);
if (!plan) throw new Error(`cluster ${cli.name} has no plan`);
const endpoints = endpointsFromPlan(cli.name, plan.components);
if (!endpoints.elasticsearch) throw new Error(`cluster ${cli.name} runs no Elasticsearch`);
const es = elasticsearchClient(endpoints.elasticsearch, 60_000);
onCleanup(() => void es.close());
const logsDir = clusterPaths(cli.name).logs;
const stamp = Date.now();

/** @param {string} component */
const indexed = async (component) =>
  (await searchLogs(es, { component, since: stamp - 60_000, limit: 1 })).total;

/**
 * A log file of the bench's own in the cluster's log folder (the agent follows any `*.log` there).
 * @param {string} component
 */
function benchFile(component) {
  const file = join(logsDir, `${component}.log`);
  writeFileSync(file, '');
  onCleanup(() => rmSync(file, { force: true }));
  return file;
}

// lag: one line at a time; each poll that finds more lines searchable dates the new ones
const lagComponent = `bench-lag-${stamp}`;
const lagFile = benchFile(lagComponent);
appendFileSync(lagFile, 'warm-up: the agent finds the file\n');
log('waiting for the agent to find its file');
while ((await indexed(lagComponent)) < 1) await sleep(100);
log(`lag: ${o.rate} lines/s for ${o.seconds} s`);
const written = /** @type {number[]} */ ([]);
const lags = /** @type {number[]} */ ([]);
let seen = 1;
const total = o.rate * o.seconds;
const writer = (async () => {
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / o.rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    written.push(performance.now());
    appendFileSync(lagFile, `lag probe ${i}\n`);
  }
})();
while (seen - 1 < total) {
  const n = (await indexed(lagComponent)) - 1;
  const now = performance.now();
  for (let i = seen - 1; i < n; i++) lags.push(now - (written[i] ?? now));
  seen = n + 1;
  await sleep(50);
}
await writer;
const lag = percentiles(lags);

// throughput: a burst through the pipeline, then the same documents straight into Elasticsearch
const kinds = componentKinds(cli.json('status', '--json').components);
const burstComponent = `bench-burst-${stamp}`;
const burstFile = benchFile(burstComponent);
const text = Array.from({ length: o.lines }, (_, i) => `burst line ${i} of the log pipeline benchmark`);
log(`throughput: ${o.lines} lines at once through the pipeline`);
const cpuSince = cpuSnapshot(kinds);
const t1 = performance.now();
appendFileSync(burstFile, `${text.join('\n')}\n`);
while ((await indexed(burstComponent)) < o.lines) await sleep(200);
const pipelineSeconds = (performance.now() - t1) / 1000;
const cpu = cpuPerOp(addCpuSince({}, cpuSince, kinds), o.lines / 1000);

log('the same documents bulk-indexed straight into Elasticsearch');
const direct = `bench-direct-logs-${stamp}`;
onCleanup(() => void es.indices.delete({ index: direct }).catch(() => {}));
await es.indices.create({
  index: direct,
  settings: logIndexTemplate.template.settings,
  // the template's literal types do not survive into the built declarations
  mappings: /** @type {any} */ (logIndexTemplate.template.mappings),
});
const docs = text.map((msg, offset) =>
  logDocument({
    id: `direct:${offset}`,
    time: new Date().toISOString(),
    component: 'direct',
    service: 'direct',
    zone: null,
    source: 'other',
    offset,
    level: 'info',
    msg,
  }),
);
const t2 = performance.now();
for (let i = 0; i < docs.length; i += 2000) {
  const answer = await es.bulk({
    operations: docs
      .slice(i, i + 2000)
      .flatMap((d, j) => [{ index: { _index: direct, _id: `d${i + j}` } }, d]),
  });
  if (answer.errors) throw new Error('direct bulk indexing reported errors');
}
await es.indices.refresh({ index: direct });
const directSeconds = (performance.now() - t2) / 1000;
await es.indices.delete({ index: direct });

console.log(`\nlog pipeline on ${cli.name}: ${cores()} cores, load ${loadAverage()}\n`);
console.log(`lag, written → searchable (${lags.length} lines at ${o.rate}/s):`);
printTable(['', 'n', 'p50', 'p90', 'p99', 'max'], [percentileRow('lag', lag)]);
console.log(`\nthroughput (${o.lines} lines):`);
printTable(
  ['path', 'seconds', 'lines/s', 'vs direct'],
  [
    [
      'agent → Kafka → collector → ES',
      pipelineSeconds.toFixed(1),
      Math.round(o.lines / pipelineSeconds),
      `${(directSeconds / pipelineSeconds).toFixed(2)}×`,
    ],
    ['bulk straight into ES', directSeconds.toFixed(1), Math.round(o.lines / directSeconds), '1.00×'],
  ],
);
console.log(`\nCPU ms per 1000 lines through the pipeline: ${cpu.text}`);
console.log(`lag p50 ${ms(lag.p50)}, p99 ${ms(lag.p99)}`);
writeResults('logs-pipeline', {
  cluster: cli.name,
  cores: cores(),
  load: loadAverage(),
  options: o,
  lag,
  pipeline: { lines: o.lines, seconds: pipelineSeconds, linesPerSecond: o.lines / pipelineSeconds },
  direct: { lines: o.lines, seconds: directSeconds, linesPerSecond: o.lines / directSeconds },
  cpuMsPer1000Lines: cpu.perOpMs,
});
cleanup();
