import { execa } from 'execa';
import { FlixError } from './errors.js';

/**
 * Run a short helper command (formatting a data dir, initialising a database). On failure the
 * error records the command, its arguments and its last output lines, so a failure can be diagnosed from the message alone.
 */
export async function runQuiet(
  file: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; uid?: number; gid?: number } = {},
): Promise<string> {
  const r = await execa(file, args, {
    env: opts.env,
    extendEnv: opts.env === undefined,
    cwd: opts.cwd,
    timeout: opts.timeoutMs ?? 120_000,
    uid: opts.uid,
    gid: opts.gid,
    all: true,
    reject: false,
  });
  if (r.exitCode !== 0 || r.timedOut) {
    const tail = (r.all ?? '').split('\n').slice(-15).join('\n');
    throw new FlixError(
      `\`${file} ${args.join(' ')}\` failed (${r.timedOut ? 'timed out' : `exit ${r.exitCode}`})`,
      {
        code: 'componentFailed',
        details: tail,
      },
    );
  }
  return r.all ?? '';
}
