/**
 * The API gateway's pure core (Zuul-style, STYLE.md #10/#11): a filter chain with kill switches,
 * concurrency limits and counters; a per-key token-bucket rate limiter; B3 trace propagation; and
 * the JSON error bodies. No sockets here — a server adapter builds a RequestContext and runs it.
 */
export * from './chain.js';
export * from './errors.js';
export * from './filter.js';
export * from './rate-limit.js';
export * from './trace.js';
