/**
 * Hystrix-style isolation for every service-to-service call, composed over one contract
 * (cockatiel): `Policy.execute(fn, signal)`. timeout, bulkhead, circuitBreaker and fallback nest
 * with `wrap`; `isolation(name)` is the usual stack for one dependency with a snapshot for metrics
 * and `flix status --breakers`. Pure: time comes from a Clock passed in.
 */

export * from '../../core/clock.js';
export * from './bulkhead.js';
export * from './circuit-breaker.js';
export * from './errors.js';
export * from './events.js';
export * from './fallback.js';
export * from './isolation.js';
export * from './policy.js';
export * from './rolling-window.js';
export * from './timeout.js';
