// @ts-check
// What the three playback benchmarks (start-play, gateway-overhead, edge-throughput) share: one
// cluster (bench/playback-cluster.yaml, started and stopped here unless --keep-cluster names a
// running one), a user, a source ingested as the warm title (and as a cold one when a benchmark
// wants it), and one report: the parts' tables on stdout, the full numbers in bench/results/.
// bench/playback.mjs runs all three on one cluster and one ingest; each file also runs alone.
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { number, parseArgs, string } from './args.mjs';
import { cleanup, onCleanup } from './cleanup.mjs';
import { benchSource, ensureSource, shortSource } from './fixtures.mjs';
import { flixCli, upCluster } from './flix.mjs';
import { requestOk, text } from './http.mjs';
import { componentKinds, cores, loadAverage } from './proc.mjs';
import { writeResults } from './results.mjs';

/**
 * @template T
 * @typedef {import('./args.mjs').Option<T>} Option
 */
/**
 * @template {Record<string, Option<any>>} S
 * @typedef {import('./args.mjs').Values<S>} Values
 */
/** @typedef {import('./flix.mjs').Component} Component */
/** @typedef {import('./flix.mjs').FlixCli} FlixCli */

/** The cluster the playback benchmarks start: cluster/ci.yaml with the gateway's rate limits raised. */
export const clusterFile = join(import.meta.dirname, '..', 'playback-cluster.yaml');
const clusterName = 'bench-play';

/** Progress on stderr, with the time of day (runs take minutes; the times show where they went). */
export const log = (/** @type {string} */ s) =>
  console.error(`[${new Date().toISOString().slice(11, 19)}] ${s}`);

/** --seconds of gateway-overhead and edge-throughput: one option when bench/playback.mjs runs both. */
export const secondsOption = number(10, 'seconds measured per target');

/** The options every playback benchmark takes. */
export const sharedOptions = {
  source: string(
    [benchSource, shortSource].find(existsSync) ?? benchSource,
    // the 1080p clip, else the short one if only that was made; a missing clip is made first
    'the clip to ingest (fixtures/media/good.mp4 ingests much faster)',
    'FILE',
  ),
  keepCluster: string(
    null,
    `use this running cluster (and leave it running) instead of starting ${clusterName}`,
    'NAME',
  ),
};

/**
 * What a benchmark finds ready when its `measure` runs.
 * @typedef {object} PlaybackContext
 * @property {FlixCli} cli bound to the cluster
 * @property {(name: string) => Component | undefined} component from `flix status`
 * @property {Map<number, string>} kinds the cluster's process groups → kind of component, for CPU snapshots
 * @property {string} elb the ELB's endpoint (where a player sends its API calls)
 * @property {string | undefined} catalogA catalog-a-1's endpoint
 * @property {string} token the benchmark user's API token
 * @property {string} userId
 * @property {{ warm: string, cold: string | null }} titles title ids
 * @property {string} scratch a directory removed at the end
 */

/**
 * One playback benchmark. `measure` hands its results to `save` (more than once if it has
 * partial results worth keeping when a later step fails); `print` prints them.
 * @template {Record<string, Option<any>>} S
 * @template R
 * @typedef {object} PlaybackPart
 * @property {'part1' | 'part2' | 'part3'} key where its results go in the report
 * @property {string} name its file's name, e.g. `start-play`
 * @property {string} description what it measures, for --help
 * @property {S} options its own options
 * @property {(o: Values<S>) => boolean} [wantsColdTitle] whether to ingest a second, never-played title
 * @property {(ctx: PlaybackContext, o: Values<S>, save: (result: R) => void) => Promise<void>} measure
 * @property {(result: R, o: Values<S>, cores: number) => void} print
 */

/**
 * POST {elb}/api/play as a player does; the answer names the edges to stream from.
 * @param {string} elb
 * @param {string} token
 * @param {string} title
 * @param {import('node:http').Agent} [agent]
 */
export async function postPlay(elb, token, title, agent) {
  const response = await requestOk(`${elb}/api/play`, {
    agent,
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title }),
  });
  /** @type {{ playId?: string, edges?: Array<{ name: string, hls: string, reasons?: unknown }> }} */
  const answer = JSON.parse(text(response));
  return { response, answer };
}

/**
 * DELETE {elb}/api/play/:id: the play is over and its stream slot free (a plan plays only so
 * many streams at once).
 * @param {string} elb
 * @param {string} token
 * @param {string} playId
 * @param {import('node:http').Agent} [agent]
 */
export async function endPlay(elb, token, playId, agent) {
  await requestOk(`${elb}/api/play/${playId}`, {
    agent,
    method: 'DELETE',
    headers: { authorization: `Bearer ${token}` },
  });
}

/**
 * Runs playback benchmarks on one cluster: parse the options (theirs merged, plus the shared ones
 * and `extraOptions`), start the cluster, make the user and titles, measure each part in order,
 * clean up, print every part's results and write them to bench/results/<title>-<timestamp>.json.
 * Exit code 1 if anything failed (what was measured before is still printed and written).
 * @param {string[]} argv
 * @param {object} spec
 * @param {string} spec.title "playback": "flix playback benchmark", bench/results/playback-<timestamp>.json
 * @param {string} spec.usage the first lines of --help
 * @param {PlaybackPart<any, any>[]} spec.parts
 * @param {Record<string, Option<any>>} [spec.extraOptions]
 * @param {(o: Record<string, any>) => PlaybackPart<any, any>[]} [spec.select] which parts run (default all)
 */
export async function runPlayback(argv, { title, usage, parts, extraOptions = {}, select = () => parts }) {
  /** @type {Record<string, Option<any>>} */
  const options = Object.assign({}, ...parts.map((p) => p.options), sharedOptions, extraOptions);
  const o = parseArgs(argv, { usage, options });
  const chosen = select(o);
  const name = o.keepCluster ?? clusterName;
  const cli = flixCli(name);
  const machineCores = cores();
  /** @type {Record<string, any> & { ran: Record<string, boolean> }} */
  const report = {
    startedAt: new Date().toISOString(),
    cluster: name,
    clusterFile: o.keepCluster ? null : clusterFile,
    cores: machineCores,
    node: process.version,
    loadAverageAtStart: loadAverage(),
    options: o,
    ran: {},
  };

  log(
    `flix ${title} benchmark: cluster ${name}, ${machineCores} cores, node ${process.version}, load ${report.loadAverageAtStart}`,
  );
  ensureSource(o.source, log);
  const scratch = mkdtempSync(join(tmpdir(), 'flix-bench-play-'));
  onCleanup(() => rmSync(scratch, { recursive: true, force: true }));

  try {
    if (!o.keepCluster) {
      const up = upCluster(cli, clusterFile, { log });
      onCleanup(up.down);
      report.upSeconds = up.upSeconds;
      log(`cluster up in ${report.upSeconds.toFixed(0)} s`);
    }
    const ctx = prepare(
      cli,
      o.source,
      chosen.some((p) => p.wantsColdTitle?.(o)),
      scratch,
      report,
    );
    for (const part of chosen) {
      await part.measure(ctx, o, (result) => {
        report[part.key] = result;
        report.ran[part.key] = true;
      });
    }
  } catch (e) {
    report.error = e instanceof Error ? (e.stack ?? e.message) : String(e);
    console.error(`\nFAILED: ${report.error}`);
    process.exitCode = 1;
  } finally {
    cleanup();
  }

  report.loadAverageAtEnd = loadAverage();
  /** @param {string} l */
  const firstThree = (l) => l.split(' ').slice(0, 3).join(' ');
  console.log('');
  console.log(
    `flix ${title} benchmark — ${machineCores} cores, node ${process.version}, load average ${firstThree(report.loadAverageAtStart)} at start, ${firstThree(report.loadAverageAtEnd)} at end`,
  );
  for (const part of chosen) if (report[part.key]) part.print(report[part.key], o, machineCores);
  if (report.error) console.log(`\nNOT COMPLETE: ${String(report.error).split('\n')[0]}`);
  console.log(`ran: ${JSON.stringify(report.ran)}`);
  writeResults(title, report);
}

/**
 * The cluster's endpoints, a user, the titles (ingested and waited for).
 * @param {FlixCli} cli
 * @param {string} source
 * @param {boolean} withColdTitle
 * @param {string} scratch
 * @param {Record<string, any>} report
 * @returns {PlaybackContext}
 */
function prepare(cli, source, withColdTitle, scratch, report) {
  /** @type {{ components: Component[] }} */
  const status = cli.json('status', '--json');
  /** @param {string} n */
  const component = (n) => status.components.find((c) => c.name === n);
  const elb = component('elb-1')?.endpoint;
  const catalogA = component('catalog-a-1')?.endpoint;
  if (!elb) throw new Error('the cluster has no elb-1 component');
  report.endpoints = { elb, catalogA };
  log(`ELB ${elb}, catalog-a-1 ${catalogA}`);

  /** @type {{ token: string, user: { id: string } }} */
  const created = cli.json('users', 'create', `bench-${process.pid}`, '--region', 'US', '--json');

  /** @param {string} label */
  const ingest = (label) => {
    const t0 = performance.now();
    /** @type {{ id: string }} */
    const r = cli.json(
      'ingest',
      source,
      '--title',
      `bench play ${label} ${process.pid}`,
      '--regions',
      'US',
      '--wait',
      '--json',
    );
    log(`ingested ${r.id} (${label}) in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    return r.id;
  };
  log(`ingesting ${source} ...`);
  const titles = { warm: ingest('warm'), cold: withColdTitle ? ingest('cold') : null };
  report.titles = titles;
  return {
    cli,
    component,
    kinds: componentKinds(status.components),
    elb,
    catalogA,
    token: created.token,
    userId: created.user.id,
    titles,
    scratch,
  };
}

/**
 * Whether the module at `url` is the script node was started with (and not imported by
 * bench/playback.mjs, which runs it with the others).
 * @param {string} url import.meta.url
 */
export const isScript = (url) =>
  process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(url);
