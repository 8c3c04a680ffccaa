import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LaunchSpec } from '../../engines/driver.js';

/**
 * Child processes of the native runtime. Each component is spawned detached, so it leads its own
 * process group: stopping it signals that group (an engine's launcher and the JVM it forks, nginx
 * and its workers) and nothing else. A pid is only signalled while its /proc start time still
 * matches the one recorded at spawn, so a recycled pid is never hit.
 */

export interface Spawned {
  pid: number;
  pidStartTime: number | null;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnToLog(spec: LaunchSpec, logFile: string): Spawned {
  mkdirSync(dirname(logFile), { recursive: true });
  const fd = openSync(logFile, 'a');
  const child = spawn(spec.file, spec.args, {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    uid: spec.uid,
    gid: spec.gid,
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: -1, signal: null }));
  });
  if (child.pid === undefined) {
    return { pid: -1, pidStartTime: null, exited };
  }
  return { pid: child.pid, pidStartTime: processStartTime(child.pid), exited };
}

/** Field 22 of /proc/PID/stat: start time in clock ticks since boot; null if the pid is gone. */
export function processStartTime(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const afterComm = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(afterComm[19]);
  } catch {
    return null;
  }
}

/** True while pid runs and is still the process we started (same start time), not a zombie. */
export function isOurProcessAlive(pid: number | null, startTime: number | null): boolean {
  if (!pid || pid <= 0) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return false;
    return startTime === null || Number(fields[19]) === startTime;
  } catch {
    return false;
  }
}

/** Is any process of the group led by pgid still there? */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // group already gone
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Graceful, then forceful: SIGTERM the group, wait up to graceMs for it to empty, then SIGKILL.
 * Returns how it ended.
 */
export async function stopGroup(
  pid: number,
  startTime: number | null,
  graceMs: number,
): Promise<'not-running' | 'graceful' | 'forced'> {
  if (!isOurProcessAlive(pid, startTime) && !groupAlive(pid)) return 'not-running';
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!groupAlive(pid)) return 'graceful';
    await sleep(100);
  }
  signalGroup(pid, 'SIGKILL');
  const killDeadline = Date.now() + 5000;
  while (groupAlive(pid) && Date.now() < killDeadline) await sleep(50);
  return 'forced';
}

/** The last n lines of a log file, for error messages. */
export function tailFile(file: string, n = 20): string[] {
  try {
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-n);
  } catch {
    return [];
  }
}
