// @ts-check
// Summaries of measured values (milliseconds or seconds).

/**
 * @typedef {object} Percentiles
 * @property {number} count
 * @property {number | null} p50
 * @property {number | null} p90
 * @property {number | null} p99
 * @property {number | null} max
 * @property {number | null} mean
 */

/**
 * Nearest-rank percentiles (no interpolation: every reported value is one that was measured).
 * An infinite value sorts last, so a failure counted as ∞ shows in the high percentiles.
 * @param {Iterable<number>} xs
 * @returns {Percentiles}
 */
export function percentiles(xs) {
  const s = Float64Array.from(xs).sort();
  /** @param {number} p */
  const at = (p) =>
    s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] : null;
  return {
    count: s.length,
    p50: at(50) ?? null,
    p90: at(90) ?? null,
    p99: at(99) ?? null,
    max: s.at(-1) ?? null,
    mean: s.length ? s.reduce((a, b) => a + b, 0) / s.length : null,
  };
}

/**
 * The median (the mean of the two middle values of an even count); NaN for an empty list.
 * @param {number[]} xs
 */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const upper = s[mid] ?? Number.NaN;
  return s.length % 2 ? upper : ((s[mid - 1] ?? Number.NaN) + upper) / 2;
}

/**
 * How often each key occurs: ['a', 'b', 'a'] → {a: 2, b: 1}.
 * @param {Iterable<string>} keys
 * @returns {Record<string, number>}
 */
export function countBy(keys) {
  /** @type {Record<string, number>} */
  const out = {};
  for (const k of keys) out[k] = (out[k] ?? 0) + 1;
  return out;
}

/**
 * @param {number[]} xs
 */
export const sum = (xs) => xs.reduce((a, b) => a + b, 0);
