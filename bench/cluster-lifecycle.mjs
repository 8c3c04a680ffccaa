#!/usr/bin/env node
import { readState } from '../dist/lib/cluster/state.js';
// @ts-check
// Cluster lifecycle benchmark (run on purpose, never as a test). Options: --help.
import { clusterPaths } from '../dist/lib/core/paths.js';
import { number, parseArgs, string } from './lib/args.mjs';
import { flixCli } from './lib/flix.mjs';
import { cores, residentMemory } from './lib/proc.mjs';
import { writeResults } from './lib/results.mjs';
import { median, sum } from './lib/stats.mjs';
import { mib, printLine } from './lib/table.mjs';

/** @typedef {import('./lib/flix.mjs').Component} Component */

const o = parseArgs(process.argv.slice(2), {
  usage: `node bench/cluster-lifecycle.mjs [options]

Cold \`flix up\` (fresh data dirs) to healthy, warm \`flix up\` (data kept), \`flix down\`, and the
cluster's total resident memory (every process of every component's group).
Reference, side by side in the same run: the slowest single component's own spawn-to-healthy
time, read from the supervisor's state. The gap between that critical path and the whole
\`flix up\` is what flix itself adds (CLI start, supervisor start, port checks, probes, waves).
It starts (and purges at the end) a cluster of its own, bench-<pid>.`,
  options: {
    cluster: string('ci', 'the cluster definition: ci, default, or a file', 'ci|default|FILE'),
    warmRuns: number(3, 'warm `flix up` / `flix down` cycles after the cold one'),
  },
});
const { cluster, warmRuns } = o;
const name = `bench-${process.pid}`;
const cli = flixCli(name);
const machineCores = cores();

/** The supervisor's state of the running cluster (it records each component's start and healthy times). */
async function components() {
  const state = await readState(clusterPaths(name).state);
  if (!state) throw new Error(`no state of cluster ${name}`);
  return /** @type {Component[]} */ (state.components);
}

/**
 * Each component's own spawn-to-healthy seconds (null if it never became healthy).
 * @param {Component[]} list
 * @returns {Record<string, number | null>}
 */
function componentStartTimes(list) {
  return Object.fromEntries(
    list.map((c) => [c.name, c.healthySince && c.startedAt ? (c.healthySince - c.startedAt) / 1000 : null]),
  );
}

console.error(`flix cluster lifecycle benchmark: cluster ${cluster}, name ${name}, ${warmRuns} warm runs`);
console.error(`machine: ${machineCores} cores, node ${process.version}`);

/** @type {Array<{ kind: 'cold' | 'warm', up: number, down: number, starts: Record<string, number | null> }>} */
const runs = [];
// Cold: no data dir at all (Kafka storage format, MariaDB init, Cassandra and ES first boot).
const cold = cli.run('up', '--cluster', cluster, '--json');
const coldComponents = await components();
const memory = residentMemory(coldComponents);
const coldStarts = componentStartTimes(coldComponents);
let down = cli.run('down');
runs.push({ kind: 'cold', up: cold.seconds, down: down.seconds, starts: coldStarts });
console.error(`cold up ${cold.seconds.toFixed(1)}s, down ${down.seconds.toFixed(1)}s`);

for (let i = 0; i < warmRuns; i++) {
  const warm = cli.run('up', '--cluster', cluster, '--json');
  const starts = componentStartTimes(await components());
  down = cli.run('down');
  runs.push({ kind: 'warm', up: warm.seconds, down: down.seconds, starts });
  console.error(`warm up ${warm.seconds.toFixed(1)}s, down ${down.seconds.toFixed(1)}s`);
}
cli.run('down', '--purge');

const warm = runs.filter((r) => r.kind === 'warm');
/**
 * The component that took longest to become healthy, and its seconds.
 * @param {Record<string, number | null>} starts
 */
const slowest = (starts) => Object.entries(starts).reduce((a, b) => ((b[1] ?? 0) > (a[1] ?? 0) ? b : a));
const coldSlowest = slowest(coldStarts);
// a component that never became healthy has no time; it counts as 0 s
const coldSlowestSeconds = coldSlowest[1] ?? 0;
const totalRss = sum(Object.values(memory));

const report = {
  cluster,
  cores: machineCores,
  coldUpSeconds: cold.seconds,
  coldSlowestComponent: { name: coldSlowest[0], seconds: coldSlowest[1] },
  warmUpSecondsMedian: median(warm.map((r) => r.up)),
  warmSlowestComponentSecondsMedian: median(warm.map((r) => slowest(r.starts)[1] ?? 0)),
  downSecondsMedian: median(runs.map((r) => r.down)),
  residentMemoryBytes: totalRss,
  residentMemoryByComponent: memory,
  runs,
};

const width = 44;
console.log('');
printLine('cold flix up to healthy', `${cold.seconds.toFixed(1)} s`, width);
printLine(
  `  slowest component alone (${coldSlowest[0]})`,
  `${coldSlowest[1]?.toFixed(1)} s  → flix adds ${(cold.seconds - coldSlowestSeconds).toFixed(1)} s (${(cold.seconds / coldSlowestSeconds).toFixed(2)}×)`,
  width,
);
printLine(
  `warm flix up to healthy (median of ${warm.length})`,
  `${report.warmUpSecondsMedian.toFixed(1)} s`,
  width,
);
printLine(
  '  slowest component alone (median)',
  `${report.warmSlowestComponentSecondsMedian.toFixed(1)} s  → ${(report.warmUpSecondsMedian / report.warmSlowestComponentSecondsMedian).toFixed(2)}×`,
  width,
);
printLine(`flix down (median of ${runs.length})`, `${report.downSecondsMedian.toFixed(1)} s`, width);
printLine('resident memory, whole cluster', mib(totalRss), width);
for (const [n, b] of Object.entries(memory).sort((a, b) => b[1] - a[1]))
  printLine(`  ${n}`, `${mib(b)}   cold start ${coldStarts[n]?.toFixed(1)} s`, width);

writeResults(`cluster-lifecycle-${cluster.replace(/\W/g, '_')}`, report);
