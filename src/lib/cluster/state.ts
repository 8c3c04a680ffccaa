import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ComponentStatus } from './components.js';

/**
 * What a running cluster looks like, written by its supervisor (atomically, on every change) and
 * read by `flix status`, `up` and `down`. Survives the supervisor, so `down` can still clean up
 * after a supervisor that crashed.
 */
export type ClusterPhase = 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

export interface StartFailure {
  component: string;
  message: string;
  logFile: string;
  logTail: string[];
}

export interface ClusterState {
  name: string;
  clusterFile: string;
  runtime: 'native';
  phase: ClusterPhase;
  supervisor: { pid: number; pidStartTime: number | null; logFile: string };
  startedAt: number;
  runningAt: number | null;
  stoppedAt: number | null;
  components: ComponentStatus[];
  failure: StartFailure | null;
}

export async function readState(file: string): Promise<ClusterState | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as ClusterState;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(tmp, file);
}

export async function readJson<T>(file: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Seconds a component has been healthy, for status tables. */
export function uptimeSeconds(c: ComponentStatus, now = Date.now()): number | null {
  return c.healthySince ? Math.max(0, Math.round((now - c.healthySince) / 1000)) : null;
}
