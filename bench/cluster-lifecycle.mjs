#!/usr/bin/env node
// Cluster lifecycle benchmark (run on purpose, never as a test):
//   cold `flix up` (fresh data dirs) to healthy, warm `flix up` (data kept), `flix down`,
//   and the cluster's total resident memory (every process of every component's group).
// Reference, side by side in the same run: the slowest single component's own spawn-to-healthy
// time, read from the supervisor's state. The gap between that critical path and the whole
// `flix up` is what flix itself adds (CLI start, supervisor start, port checks, probes, waves).
//
//   node bench/cluster-lifecycle.mjs [--cluster ci|default|FILE] [--warm-runs 3]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const cluster = opt('cluster', 'ci');
const warmRuns = Number(opt('warm-runs', '3'));
const name = `bench-${process.pid}`;
const bin = join(import.meta.dirname, '..', 'bin', 'run.js');
const home = process.env.FLIX_HOME ?? join(homedir(), '.flix');

function flix(...a) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, ...a, '--name', name], {
    encoding: 'utf8',
    env: { ...process.env, CI: '1' },
  });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`flix ${a.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return { seconds, out: r.stdout };
}

function state() {
  return JSON.parse(readFileSync(join(home, 'clusters', name, 'state.json'), 'utf8'));
}

/** RSS of every process whose process group is one a component leads. */
function residentMemory(components) {
  const groups = new Map(components.filter((c) => c.pid).map((c) => [c.pid, c.name]));
  const perComponent = Object.fromEntries(components.map((c) => [c.name, 0]));
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pgid = Number(fields[2]);
      const owner = groups.get(pgid);
      if (!owner) continue;
      const rss = readFileSync(`/proc/${entry}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
      if (rss) perComponent[owner] += Number(rss[1]) * 1024;
    } catch {
      // process ended while reading
    }
  }
  return perComponent;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function componentStartTimes(st) {
  return Object.fromEntries(
    st.components.map((c) => [
      c.name,
      c.healthySince && c.startedAt ? (c.healthySince - c.startedAt) / 1000 : null,
    ]),
  );
}

console.error(`flix cluster lifecycle benchmark: cluster ${cluster}, name ${name}, ${warmRuns} warm runs`);
console.error(`machine: ${execFileSync('nproc').toString().trim()} cores, node ${process.version}`);

const runs = [];
// Cold: no data dir at all (Kafka storage format, MariaDB init, Cassandra and ES first boot).
const cold = flix('up', '--cluster', cluster, '--json');
let st = state();
const memory = residentMemory(st.components);
const coldStarts = componentStartTimes(st);
runs.push({ kind: 'cold', up: cold.seconds, starts: coldStarts });
let down = flix('down');
runs.at(-1).down = down.seconds;
console.error(`cold up ${cold.seconds.toFixed(1)}s, down ${down.seconds.toFixed(1)}s`);

for (let i = 0; i < warmRuns; i++) {
  const warm = flix('up', '--cluster', cluster, '--json');
  st = state();
  const starts = componentStartTimes(st);
  down = flix('down');
  runs.push({ kind: 'warm', up: warm.seconds, down: down.seconds, starts });
  console.error(`warm up ${warm.seconds.toFixed(1)}s, down ${down.seconds.toFixed(1)}s`);
}
flix('down', '--purge').seconds;

const warm = runs.filter((r) => r.kind === 'warm');
const slowest = (starts) => Object.entries(starts).reduce((a, b) => ((b[1] ?? 0) > (a[1] ?? 0) ? b : a));
const coldSlowest = slowest(coldStarts);
const warmSlowestTimes = warm.map((r) => slowest(r.starts)[1]);
const totalRss = Object.values(memory).reduce((a, b) => a + b, 0);
const mib = (b) => `${(b / 2 ** 20).toFixed(0)} MiB`;

const report = {
  cluster,
  cores: Number(execFileSync('nproc').toString().trim()),
  coldUpSeconds: cold.seconds,
  coldSlowestComponent: { name: coldSlowest[0], seconds: coldSlowest[1] },
  warmUpSecondsMedian: median(warm.map((r) => r.up)),
  warmSlowestComponentSecondsMedian: median(warmSlowestTimes),
  downSecondsMedian: median(runs.map((r) => r.down)),
  residentMemoryBytes: totalRss,
  residentMemoryByComponent: memory,
  runs,
};

const line = (k, v) => console.log(`${k.padEnd(44)} ${v}`);
console.log('');
line('cold flix up to healthy', `${cold.seconds.toFixed(1)} s`);
line(
  `  slowest component alone (${coldSlowest[0]})`,
  `${coldSlowest[1]?.toFixed(1)} s  → flix adds ${(cold.seconds - coldSlowest[1]).toFixed(1)} s (${(cold.seconds / coldSlowest[1]).toFixed(2)}×)`,
);
line(`warm flix up to healthy (median of ${warm.length})`, `${report.warmUpSecondsMedian.toFixed(1)} s`);
line(
  '  slowest component alone (median)',
  `${report.warmSlowestComponentSecondsMedian.toFixed(1)} s  → ${(report.warmUpSecondsMedian / report.warmSlowestComponentSecondsMedian).toFixed(2)}×`,
);
line(`flix down (median of ${runs.length})`, `${report.downSecondsMedian.toFixed(1)} s`);
line('resident memory, whole cluster', mib(totalRss));
for (const [n, b] of Object.entries(memory).sort((a, b) => b[1] - a[1]))
  line(`  ${n}`, `${mib(b)}   cold start ${coldStarts[n]?.toFixed(1)} s`);

mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
const out = join(
  import.meta.dirname,
  'results',
  `cluster-lifecycle-${cluster.replace(/\W/g, '_')}-${Date.now()}.json`,
);
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(`\nfull results: ${out}`);
