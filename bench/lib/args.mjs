// @ts-check
// The one argument parser of the benchmarks: `--name value` (or `--name=value`), `--flag`, numbers
// and comma-separated lists, and `--help` printing the usage text the benchmark provides. It
// refuses unknown options and missing or malformed values (exit 2) before anything is started, so
// a typo cannot cost a multi-minute cluster start with the wrong settings.
//
// The benchmarks are plain ESM with JSDoc types. Type-check them with
//   npx tsc -p bench
// (bench/tsconfig.json: strict, checks the files marked // @ts-check; the dist/ modules they import
// are read for their inferred types but not checked), and lint them with `npx biome check bench`.

/**
 * One option. `meta` is the value's placeholder in the usage text, null for a flag (no value).
 * @template T
 * @typedef {object} Option
 * @property {string} help
 * @property {string | null} meta
 * @property {T} initial
 * @property {(raw: string, flag: string) => T} parse
 */

/**
 * The parsed values of a set of options, keyed as the options are (camelCase; the flag is the
 * key in kebab-case: `skipCold` is `--skip-cold`).
 * @template {Record<string, Option<any>>} S
 * @typedef {{ [K in keyof S]: S[K] extends Option<infer T> ? T : never }} Values
 */

/** A value on the command line that the option cannot take. */
export class UsageError extends Error {}

/**
 * A number, e.g. `--viewers 50`. A null default makes it optional (null when not given).
 * @template {number | null} D
 * @param {D} initial
 * @param {string} help
 * @param {string} [meta]
 * @returns {Option<number | D>}
 */
export function number(initial, help, meta = 'N') {
  return { help, meta, initial, parse: parseNumber };
}

/**
 * Comma-separated numbers, e.g. `--rate 1000,200`.
 * @param {number[]} initial
 * @param {string} help
 * @param {string} [meta]
 * @returns {Option<number[]>}
 */
export function numbers(initial, help, meta = 'N[,N...]') {
  return { help, meta, initial, parse: (raw, flag) => raw.split(',').map((x) => parseNumber(x, flag)) };
}

/**
 * A string. A null default makes it optional (null when not given).
 * @template {string | null} D
 * @param {D} initial
 * @param {string} help
 * @param {string} [meta]
 * @returns {Option<string | D>}
 */
export function string(initial, help, meta = 'VALUE') {
  return { help, meta, initial, parse: (raw) => raw };
}

/**
 * One of a few words, e.g. `--task-shape rendition|chunk` (initial null: not given).
 * @template {string} C
 * @template {C | null} I
 * @param {I} initial
 * @param {readonly C[]} choices
 * @param {string} help
 * @returns {Option<C | I>}
 */
export function choice(initial, choices, help) {
  return {
    help,
    meta: choices.join('|'),
    initial,
    parse: (raw, flag) => {
      const found = choices.find((c) => c === raw);
      if (found === undefined) throw new UsageError(`${flag} takes ${choices.join(' or ')}, not ${raw}`);
      return found;
    },
  };
}

/**
 * A flag without a value, false unless given.
 * @param {string} help
 * @returns {Option<boolean>}
 */
export function flag(help) {
  return { help, meta: null, initial: false, parse: () => true };
}

/**
 * @param {string} raw
 * @param {string} flag
 */
function parseNumber(raw, flag) {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag} takes a number, not "${raw}"`);
  return n;
}

/** @param {string} key */
const flagOf = (key) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/**
 * The usage text, then one line per option with its default.
 * @param {string} usage
 * @param {Record<string, Option<any>>} options
 */
export function helpText(usage, options) {
  /** @type {Array<[string, string]>} */
  const rows = Object.entries(options).map(([key, o]) => {
    const left = o.meta === null ? flagOf(key) : `${flagOf(key)} ${o.meta}`;
    const dflt =
      o.meta === null || o.initial === null
        ? ''
        : ` (default ${Array.isArray(o.initial) ? o.initial.join(',') : o.initial})`;
    return [left, `${o.help}${dflt}`];
  });
  rows.push(['-h, --help', 'print this text and exit']);
  const width = Math.max(...rows.map(([l]) => l.length));
  return `${usage.trimEnd()}\n\noptions:\n${rows.map(([l, r]) => `  ${l.padEnd(width)}  ${r}`).join('\n')}\n`;
}

/**
 * Parse argv against the options. `--help` or `-h` prints the help and exits 0; a usage error
 * prints it with the help to stderr and exits 2. Both happen before the caller starts anything.
 * @template {Record<string, Option<any>>} S
 * @param {string[]} argv
 * @param {{ usage: string, options: S }} spec
 * @returns {Values<S>}
 */
export function parseArgs(argv, { usage, options }) {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(helpText(usage, options));
    process.exit(0);
  }
  try {
    return parseOrThrow(argv, options);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`${e.message}\n\n${helpText(usage, options)}`);
    process.exit(2);
  }
}

/**
 * @template {Record<string, Option<any>>} S
 * @param {string[]} argv
 * @param {S} options
 * @returns {Values<S>}
 */
function parseOrThrow(argv, options) {
  /** @type {Record<string, unknown>} */
  const values = Object.fromEntries(Object.entries(options).map(([k, o]) => [k, o.initial]));
  const byFlag = new Map(Object.entries(options).map(([k, o]) => [flagOf(k), { key: k, option: o }]));
  for (let i = 0; i < argv.length; i++) {
    const arg = /** @type {string} */ (argv[i]);
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const found = byFlag.get(name);
    if (!found) throw new UsageError(arg.startsWith('--') ? `unknown option ${name}` : `unexpected ${arg}`);
    const { key, option } = found;
    if (option.meta === null) {
      if (eq > 0) throw new UsageError(`${name} takes no value`);
      values[key] = true;
      continue;
    }
    const raw = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (raw === undefined) throw new UsageError(`${name} needs a value (${option.meta})`);
    values[key] = option.parse(raw, name);
  }
  return /** @type {Values<S>} */ (values);
}
