/**
 * The pure core of `flix loadtest`: metrics (HDR trends, counters, rates, gauges) that merge across
 * generators, k6-style thresholds, CTA-2066 QoE from the player's play reports, arrival schedules
 * (closed, open/Poisson, herd with full-jitter retries) and a Zipf title sampler, chaos steps, the
 * generator's self-measurement, and the final report with its verdict (exit 99 when a threshold fails).
 */

export * from './chaos-steps.js';
export * from './metrics.js';
export * from './qoe.js';
export * from './report.js';
export * from './schedule.js';
export * from './self-measure.js';
export * from './thresholds.js';
