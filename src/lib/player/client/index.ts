/**
 * The real adaptive-bitrate client behind `flix play`: the public API (play, heartbeats), HLS and
 * DASH manifest parsers, an edge fetcher with failover, the bandwidth throttle, and the player loop
 * that drives the pure state machine of ../abr with real downloads.
 */

export * from '../../media/manifests/dash.js';
export * from '../../media/manifests/hls.js';
export * from '../../media/manifests/presentation.js';
export * from './api.js';
export * from './fetcher.js';
export * from './player.js';
export * from './throttle.js';
