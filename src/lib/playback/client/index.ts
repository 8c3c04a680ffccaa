/**
 * The real adaptive-bitrate client behind `flix play`: the public API (play, heartbeats), HLS and
 * DASH manifest parsers, an edge fetcher with failover, the bandwidth throttle, and the player loop
 * that drives the pure state machine of ../abr with real downloads.
 */
export * from './api.js';
export * from './dash.js';
export * from './fetcher.js';
export * from './hls.js';
export * from './player.js';
export * from './presentation.js';
export * from './throttle.js';
