/**
 * The faults a load test injects while it runs, given as one `--chaos` text (or several):
 *
 *   --chaos "kill-zone b@40s,heal@70s,latency gateway 300ms@10s"
 *
 * Steps are separated by commas; each is `ACTION ARGS...@TIME`, TIME into the run (40s, 1m30s,
 * 500ms). The actions:
 *
 *   kill <component>                  SIGKILL it (the supervisor's restart policy then applies)
 *   kill-zone <zone>                  kill every component of the zone (a zone outage)
 *   pause <component>                 SIGSTOP it: alive, holding its connections, answering nothing
 *   latency <component> <ms> [jitter] add delay (± jitter) to what it answers; bare numbers are ms
 *   partition <zoneA> <zoneB>         the two zones cannot reach each other
 *   blackhole <component>             its traffic is dropped: connections hang, nothing is refused
 *   heal [--all]                      undo this run's faults (resume, remove delays and partitions,
 *                                     start what stayed down); --all also clears faults injected
 *                                     outside this run
 *
 * A component is a name (`gateway-a-1`) or a group prefix (`gateway` = every gateway,
 * `gateway-a` = zone a's). Pure: the result is a time-sorted plan (steps at one time keep their
 * written order) that the runner carries out.
 */
import { FlixError } from '../core/errors.js';
import { parseDuration } from './schedule.js';

export type ChaosStep =
  | { atMs: number; action: 'kill'; args: { component: string } }
  | { atMs: number; action: 'kill-zone'; args: { zone: string } }
  | { atMs: number; action: 'pause'; args: { component: string } }
  | { atMs: number; action: 'latency'; args: { component: string; delayMs: number; jitterMs: number } }
  | { atMs: number; action: 'partition'; args: { zones: [string, string] } }
  | { atMs: number; action: 'blackhole'; args: { component: string } }
  | { atMs: number; action: 'heal'; args: { all: boolean } };

export type ChaosAction = ChaosStep['action'];

export const chaosActions: readonly ChaosAction[] = [
  'kill',
  'kill-zone',
  'pause',
  'latency',
  'partition',
  'blackhole',
  'heal',
];

const USAGE: Record<ChaosAction, string> = {
  kill: 'kill <component>',
  'kill-zone': 'kill-zone <zone>',
  pause: 'pause <component>',
  latency: 'latency <component> <ms> [jitter]',
  partition: 'partition <zoneA> <zoneB>',
  blackhole: 'blackhole <component>',
  heal: 'heal [--all]',
};

export interface ChaosOptions {
  /** The cluster's component names: a component argument must be one, or prefix some. */
  components?: readonly string[];
  /** The cluster's zones. */
  zones?: readonly string[];
  /** The run's length: a step after it would never run. */
  durationMs?: number;
}

const NAME = /^[a-z][a-z0-9-]*$/;

/** Parses `--chaos` (one text or several); throws a usage FlixError naming the bad step. */
export function parseChaos(texts: string | readonly string[], opts: ChaosOptions = {}): ChaosStep[] {
  const steps: ChaosStep[] = [];
  for (const text of typeof texts === 'string' ? [texts] : texts) {
    const parts = text.split(',');
    parts.forEach((raw, i) => {
      const where = parts.length > 1 ? `step ${i + 1} "${raw.trim()}"` : `"${raw.trim()}"`;
      steps.push(parseStep(raw, where, opts));
    });
  }
  // stable: steps at one time run in the order written
  return steps
    .map((s, i) => ({ s, i }))
    .sort((a, b) => a.s.atMs - b.s.atMs || a.i - b.i)
    .map(({ s }) => s);
}

function fail(where: string, what: string, nextStep?: string): FlixError {
  return new FlixError(`--chaos ${where}: ${what}`, {
    code: 'usage',
    nextStep:
      nextStep ??
      `steps are ACTION ARGS@TIME separated by commas, e.g. "kill-zone b@40s,heal@70s"; actions: ${Object.values(USAGE).join(', ')}`,
  });
}

function parseStep(raw: string, where: string, opts: ChaosOptions): ChaosStep {
  const text = raw.trim();
  if (text === '') throw fail(where, 'the step is empty (two commas in a row, or one at an end?)');
  const at = text.lastIndexOf('@');
  if (at < 0) throw fail(where, 'no time: end the step with @TIME, e.g. @40s');
  const atMs = parseTime(text.slice(at + 1), where);
  if (opts.durationMs !== undefined && atMs >= opts.durationMs) {
    throw fail(
      where,
      `at ${fmt(atMs)}, not before the run ends (${fmt(opts.durationMs)})`,
      'make it earlier, or --duration longer',
    );
  }
  const [action = '', ...args] = text.slice(0, at).trim().split(/\s+/);
  if (!(chaosActions as readonly string[]).includes(action)) {
    throw fail(where, action === '' ? 'no action before @' : `unknown action "${action}"`);
  }
  const a = action as ChaosAction;
  const arity = (min: number, max = min) => {
    if (args.length < min || args.length > max) {
      throw fail(
        where,
        `${a} takes ${USAGE[a].replace(/^\S+\s*/, '') || 'no arguments'}`,
        `write it as ${USAGE[a]}@TIME`,
      );
    }
  };
  switch (a) {
    case 'kill':
    case 'pause':
    case 'blackhole':
      arity(1);
      return { atMs, action: a, args: { component: component(args[0] as string, where, opts) } };
    case 'kill-zone':
      arity(1);
      return { atMs, action: a, args: { zone: zone(args[0] as string, where, opts) } };
    case 'latency': {
      arity(2, 3);
      const delayMs = ms(args[1] as string, where, 'delay');
      const jitterMs = args[2] === undefined ? 0 : ms(args[2], where, 'jitter');
      if (delayMs <= 0) throw fail(where, 'the delay must be above 0', 'e.g. latency gateway 300ms@10s');
      if (jitterMs > delayMs)
        throw fail(where, `the jitter (${fmt(jitterMs)}) is larger than the delay (${fmt(delayMs)})`);
      return {
        atMs,
        action: a,
        args: { component: component(args[0] as string, where, opts), delayMs, jitterMs },
      };
    }
    case 'partition': {
      arity(2);
      const zones: [string, string] = [
        zone(args[0] as string, where, opts),
        zone(args[1] as string, where, opts),
      ];
      if (zones[0] === zones[1]) throw fail(where, `a zone cannot be partitioned from itself (${zones[0]})`);
      return { atMs, action: a, args: { zones } };
    }
    case 'heal':
      arity(0, 1);
      if (args[0] !== undefined && args[0] !== '--all')
        throw fail(where, `heal takes only --all, not "${args[0]}"`);
      return { atMs, action: a, args: { all: args[0] === '--all' } };
  }
}

function parseTime(text: string, where: string): number {
  try {
    return parseDuration(text, 'time');
  } catch {
    throw fail(
      where,
      `"${text.trim()}" after @ is not a time into the run`,
      'write it like @40s, @1m30s or @500ms',
    );
  }
}

/** A latency figure: `300ms`, `0.3s`, or a bare number of ms. */
function ms(text: string, where: string, what: string): number {
  if (/^\d+(?:\.\d+)?$/.test(text)) return Number(text);
  try {
    return parseDuration(text, what);
  } catch {
    throw fail(where, `the ${what} "${text}" is not a duration`, 'write it like 300ms, 0.3s or 300 (ms)');
  }
}

function component(name: string, where: string, opts: ChaosOptions): string {
  if (!NAME.test(name))
    throw fail(where, `"${name}" is not a component name`, 'e.g. gateway, gateway-a-1, edge-b');
  const known = opts.components;
  if (known && !known.some((c) => c === name || c.startsWith(`${name}-`))) {
    throw fail(
      where,
      `no component "${name}" (nor any ${name}-*)`,
      `the components are: ${known.join(', ')}`,
    );
  }
  return name;
}

function zone(name: string, where: string, opts: ChaosOptions): string {
  if (!NAME.test(name)) throw fail(where, `"${name}" is not a zone name`);
  if (opts.zones && !opts.zones.includes(name)) {
    throw fail(where, `no zone "${name}"`, `the zones are: ${opts.zones.join(', ')}`);
  }
  return name;
}

function fmt(ms: number): string {
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** A step back in the `--chaos` form (for reports): `latency gateway 300ms 50ms@10s`. */
export function formatChaosStep(step: ChaosStep): string {
  const args = (() => {
    switch (step.action) {
      case 'kill':
      case 'pause':
      case 'blackhole':
        return [step.args.component];
      case 'kill-zone':
        return [step.args.zone];
      case 'latency':
        return [
          step.args.component,
          fmt(step.args.delayMs),
          ...(step.args.jitterMs ? [fmt(step.args.jitterMs)] : []),
        ];
      case 'partition':
        return [...step.args.zones];
      case 'heal':
        return step.args.all ? ['--all'] : [];
    }
  })();
  return `${[step.action, ...args].join(' ')}@${fmt(step.atMs)}`;
}
