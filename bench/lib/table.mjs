// @ts-check
// What the benchmarks print: aligned tables and labelled lines on stdout (progress goes to
// stderr, so stdout stays the result alone).

/** @typedef {import('./stats.mjs').Percentiles} Percentiles */
/** @typedef {string | number} Cell */

/**
 * A table: the first column left-aligned, the numbers right-aligned, a dashed line under the
 * headers, two spaces between columns.
 * @param {string[]} headers
 * @param {Cell[][]} rows
 */
export function printTable(headers, rows) {
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  /** @param {Cell[]} r */
  const line = (r) =>
    r.map((c, i) => (i === 0 ? String(c).padEnd(w[i] ?? 0) : String(c).padStart(w[i] ?? 0))).join('  ');
  console.log(line(headers));
  console.log(w.map((n) => '-'.repeat(n)).join('  '));
  for (const r of rows) console.log(line(r));
}

/**
 * One `label   value` line, the label padded to `width`.
 * @param {string} label
 * @param {string} value
 * @param {number} width
 */
export function printLine(label, value, width) {
  console.log(`${label.padEnd(width)} ${value}`);
}

/**
 * Milliseconds for a table cell: '-' when there is none, 'failed' for a failure counted as ∞,
 * two decimals below 10 ms, one above.
 * @param {number | null | undefined} x
 */
export function ms(x) {
  if (x === null || x === undefined) return '-';
  if (x === Number.POSITIVE_INFINITY) return 'failed';
  return x < 10 ? x.toFixed(2) : x.toFixed(1);
}

/**
 * A row of `label, n, p50, p90, p99, max` (milliseconds).
 * @param {string} label
 * @param {Percentiles} s
 * @returns {Cell[]}
 */
export const percentileRow = (label, s) => [label, s.count, ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max)];

/** @param {number} bytes */
export const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
