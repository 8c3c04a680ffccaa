import { join } from 'node:path';
import { execa } from 'execa';
import { isOurProcessAlive } from '../../src/lib/runtime/native/processes.js';

export const repoRoot = join(import.meta.dirname, '..', '..');
const bin = join(repoRoot, 'bin', 'run.js');

export interface FlixRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON when it is JSON */
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever shape a command printed
  json: any;
}

/** Run the built `flix` CLI as a user would, never throwing on a non-zero exit. */
export async function flix(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<FlixRun> {
  const r = await execa(process.execPath, [bin, ...args], {
    reject: false,
    env: { ...opts.env, CI: '1' },
    timeout: opts.timeoutMs ?? 600_000,
  });
  let json: unknown = null;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    // not JSON
  }
  return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, json };
}

/** Is pid running (not a zombie)? Any process left in the group a component led? */
export { groupAlive } from '../../src/lib/runtime/native/processes.js';
export const pidAlive = (pid: number) => isOurProcessAlive(pid, null);

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  ms: number,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(500);
  }
  throw new Error(
    `timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`,
  );
}
