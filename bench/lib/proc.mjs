// @ts-check
// What the cluster's processes use, read from /proc. Every component leads its own process group
// (the runtime spawns it detached), so a group id names a component and covers everything it
// forked: an engine's launcher and its JVM, nginx's master and workers.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** @typedef {import('./flix.mjs').Component} Component */

/** The machine's cores. */
export const cores = () => Number(execFileSync('nproc').toString().trim());

/** /proc/loadavg as it reads ("0.52 0.58 0.59 1/467 12345"). */
export const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').trim();

/** @type {number | undefined} */
let clockTicks;
/** Clock ticks per second, the unit of the CPU times in /proc/PID/stat. */
function ticksPerSecond() {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
  return clockTicks;
}

/**
 * Calls `visit` for every process with its pid, its process group and the fields of
 * /proc/PID/stat after the command name (fields[0] is the state, [2] the group, [11] utime,
 * [12] stime, [13] cutime, [14] cstime). A process that ends while being read is skipped.
 * @param {(pid: string, pgid: number, fields: string[]) => void} visit
 */
function eachProcess(visit) {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // the command name is in parentheses and may hold spaces: split after its closing one
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      visit(entry, Number(fields[2]), fields);
    } catch {
      // ended while reading
    }
  }
}

/**
 * A process's user + system seconds, with those of its children it has reaped ([13] cutime, [14]
 * cstime): a transcoder's ffmpeg runs end long before the snapshot after them.
 * @param {string[]} fields
 */
const cpuSecondsOf = (fields) =>
  (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / ticksPerSecond();

/**
 * Sum of user+system CPU seconds of every process in these process groups.
 * @param {number[]} pgids
 */
export function groupCpuSeconds(pgids) {
  const groups = new Set(pgids);
  let seconds = 0;
  eachProcess((_pid, pgid, fields) => {
    if (groups.has(pgid)) seconds += cpuSecondsOf(fields);
  });
  return seconds;
}

/**
 * Resident memory (bytes) per component: every process whose group a component leads.
 * @param {Component[]} components
 * @returns {Record<string, number>}
 */
export function residentMemory(components) {
  const groups = new Map(components.filter((c) => c.pid).map((c) => [c.pid, c.name]));
  /** @type {Record<string, number>} */
  const perComponent = Object.fromEntries(components.map((c) => [c.name, 0]));
  eachProcess((pid, pgid) => {
    const owner = groups.get(pgid);
    if (!owner) return;
    const rss = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
    if (rss) perComponent[owner] = (perComponent[owner] ?? 0) + Number(rss[1]) * 1024;
  });
  return perComponent;
}

/**
 * The cluster's process groups → the kind of component: services by service (gateway-a-1,
 * gateway-b-1 → gateway), engines by engine (edge-a, edge-b → edge), so a CPU breakdown stays a
 * few lines however many instances run.
 * @param {Component[]} components
 * @returns {Map<number, string>}
 */
export function componentKinds(components) {
  /** @type {Map<number, string>} */
  const kinds = new Map();
  for (const c of components) {
    if (!c.pid) continue;
    // gateway-a-1 → gateway (its zone and instance), catalog-canary-1 → catalog; log-agent-1 → log-agent
    let service = c.name.replace(/-\d+$/, '');
    if (c.zone && service.endsWith(`-${c.zone}`)) service = service.slice(0, -c.zone.length - 1);
    kinds.set(c.pid, c.engine === 'service' ? service.replace(/-canary$/, '') : c.engine);
  }
  return kinds;
}

/** CPU seconds by kind of component (plus '(this client)'). @typedef {Record<string, number>} CpuSeconds */

/**
 * CPU seconds used so far per kind of component, plus this client's own process.
 * @param {Map<number, string>} kinds from componentKinds
 * @returns {CpuSeconds}
 */
export function cpuSnapshot(kinds) {
  /** @type {CpuSeconds} */
  const out = {};
  eachProcess((_pid, pgid, fields) => {
    const owner = kinds.get(pgid);
    if (owner) out[owner] = (out[owner] ?? 0) + cpuSecondsOf(fields);
  });
  const c = process.cpuUsage();
  out['(this client)'] = (c.user + c.system) / 1e6;
  return out;
}

/**
 * Adds the CPU used between the snapshot `since` and now to `acc`.
 * @param {CpuSeconds} acc
 * @param {CpuSeconds} since
 * @param {Map<number, string>} kinds
 */
export function addCpuSince(acc, since, kinds) {
  for (const [k, v] of Object.entries(cpuSnapshot(kinds))) acc[k] = (acc[k] ?? 0) + v - (since[k] ?? 0);
  return acc;
}

/**
 * @typedef {object} CpuPerOp
 * @property {Record<string, number>} perOpMs
 * @property {number} totalMs
 * @property {string} text
 */

/**
 * CPU ms per operation, the biggest first, and as text: "total 20.1 = playback 12.3 + gateway 4.1 + …".
 * @param {CpuSeconds} acc
 * @param {number} ops
 * @param {number} [top] how many kinds the text names
 * @returns {CpuPerOp}
 */
export function cpuPerOp(acc, ops, top = 7) {
  /** @type {[string, number][]} */
  const rows = Object.entries(acc)
    .map(([k, v]) => /** @type {[string, number]} */ ([k, (v * 1000) / ops]))
    .sort((x, y) => y[1] - x[1]);
  const total = rows.reduce((a, [, v]) => a + v, 0);
  return {
    perOpMs: Object.fromEntries(rows),
    totalMs: total,
    text: `total ${total.toFixed(1)} = ${rows
      .slice(0, top)
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join(' + ')} + …`,
  };
}

/** The machine's idle and total CPU time so far (/proc/stat, all cores). */
function cpuTimes() {
  const fields =
    readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  const total = fields.reduce((a, b) => a + b, 0);
  // idle + iowait
  return { idle: (fields[3] ?? 0) + (fields[4] ?? 0), total };
}

/**
 * Waits until the machine is idle: a half-second window in which the cores were at least
 * `share` idle (the cluster done with its last ingest), for at most `timeoutMs`.
 * @param {number} share
 * @param {number} timeoutMs
 * @returns {Promise<number>} the idle share of the last window
 */
export async function untilIdle(share, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  let idle = 0;
  do {
    const a = cpuTimes();
    await new Promise((r) => setTimeout(r, 500));
    const b = cpuTimes();
    idle = (b.idle - a.idle) / Math.max(1, b.total - a.total);
  } while (idle < share && performance.now() < deadline);
  return idle;
}
