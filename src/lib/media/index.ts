/**
 * The media library of ingest: probe and validate a source, plan its ladder and chunks, encode
 * chunk × rendition and the soundtrack, join chunks, package CMAF for HLS and DASH, make poster,
 * trick-play sprite and subtitles, and check the results. Pure planning lives apart from the
 * functions that run ffmpeg so it can be unit-tested; every ffmpeg run records its command and last
 * output lines when it fails (MediaToolError); an unusable upload is a MediaError with a reason.
 */
export * from './assemble.js';
export * from './chunks.js';
export * from './conformance.js';
export * from './encode.js';
export * from './encoder-args.js';
export * from './errors.js';
export * from './ladder.js';
export * from './manifests/dash.js';
export * from './manifests/hls.js';
export * from './package.js';
export * from './probe.js';
export * from './single-pass.js';
export * from './source-check.js';
export * from './subtitles.js';
export * from './thumbnails.js';
export * from './tools.js';
export * from './validate.js';
