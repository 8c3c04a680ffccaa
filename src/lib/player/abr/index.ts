/**
 * The decisions of an adaptive-bitrate client, pure and in virtual time: a throughput estimator,
 * the rendition choice, a bandwidth profile (`--bandwidth`), and a player state machine with a
 * simulator over it. `flix play` drives the same state machine with real segment downloads.
 */
export * from './bandwidth.js';
export * from './choose.js';
export * from './renditions.js';
export * from './session.js';
export * from './simulate.js';
export * from './throughput.js';
