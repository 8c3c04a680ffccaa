// @ts-check
// Running the built CLI (bin/run.js, so a benchmark measures what a user runs) and the cluster
// start and stop every cluster-starting benchmark shares.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ExitCode } from '../../dist/lib/core/errors.js';

/** The repository. */
export const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'run.js');

/**
 * The fields of a component in `flix status --json` (and the supervisor's state) that the
 * benchmarks read.
 * @typedef {object} Component
 * @property {string} name e.g. `elb-1`, `catalog-a-1`, `edge-b`
 * @property {string} engine `service`, or the engine (`edge`, `kafka`, …)
 * @property {string | null} [zone] the zone it runs in (`a`), null for cluster-wide components
 * @property {number | null} pid it leads its own process group
 * @property {string} endpoint e.g. `http://127.0.0.1:8080`
 * @property {number | null} startedAt ms since epoch
 * @property {number | null} healthySince ms since epoch
 */

/** A `flix` run that exited non-zero; `exitCode` is flix's (6: already running, …). */
export class FlixExit extends Error {
  /**
   * @param {string} message
   * @param {number | null} exitCode
   */
  constructor(message, exitCode) {
    super(message);
    this.exitCode = exitCode;
  }
}

/**
 * The CLI bound to one cluster name (every call gets `--name`). CI=1 keeps its output plain.
 * @param {string} name
 */
export function flixCli(name) {
  /**
   * Runs `flix ...args --name <name>` to the end; throws a FlixExit unless it exits 0.
   * @param {string[]} args
   * @returns {{ seconds: number, stdout: string }}
   */
  function run(...args) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [bin, ...args, '--name', name], {
      encoding: 'utf8',
      env: { ...process.env, CI: '1' },
      maxBuffer: 64 * 2 ** 20,
    });
    const seconds = (performance.now() - t0) / 1000;
    if (r.status !== 0)
      throw new FlixExit(
        `flix ${args.join(' ')} exited ${r.status}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`,
        r.status,
      );
    return { seconds, stdout: r.stdout };
  }
  /**
   * `run` of a command given `--json`: its parsed output (null if it printed nothing).
   * @param {string[]} args
   * @returns {any} the command's own JSON; the caller knows its shape
   */
  function json(...args) {
    const { stdout } = run(...args);
    return stdout.trim() ? JSON.parse(stdout) : null;
  }
  return { name, run, json };
}

/** @typedef {ReturnType<typeof flixCli>} FlixCli */

/**
 * `flix up --cluster <file>` for a benchmark that starts its own cluster. A failed start is
 * stopped and purged at once (`down`); a cluster already running under the name is refused, as
 * it is not the benchmark's to stop (hint names the option that uses it instead).
 * @param {FlixCli} cli
 * @param {string} clusterFile
 * @param {{ log?: (line: string) => void, hint?: string }} [options]
 * @returns {{ upSeconds: number, down: () => boolean }} `down` stops and purges the cluster, reporting (not throwing) a failure
 */
export function upCluster(
  cli,
  clusterFile,
  { log = console.error, hint = `--keep-cluster ${cli.name}` } = {},
) {
  const down = () => {
    log(`flix down --purge --name ${cli.name}`);
    try {
      cli.run('down', '--purge', '--json');
      return true;
    } catch (e) {
      console.error(e instanceof Error ? e.message : e);
      return false;
    }
  };
  log(`flix up --cluster ${clusterFile} --name ${cli.name} ...`);
  try {
    const { seconds } = cli.run('up', '--cluster', clusterFile, '--json');
    return { upSeconds: seconds, down };
  } catch (e) {
    if (e instanceof FlixExit && e.exitCode === ExitCode.alreadyRunning)
      throw new Error(`a cluster named ${cli.name} is already running: stop it, or use ${hint}`);
    down();
    throw e;
  }
}
