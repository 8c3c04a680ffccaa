#!/usr/bin/env node
// @ts-check
/**
 * A small flix package made without a cluster, for checking the browser harness
 * (test/browser/players.ts): a 20 s testsrc2 clip encoded the way flix encodes (libx264 veryfast,
 * a fixed 4 s GOP at 30 fps, capped VBR; AAC stereo) into three renditions, then packaged by flix's
 * own packager from dist (run `npm run build` first, not while a test run uses dist/).
 *
 *   node test/browser/make-sample-package.mjs <outDir>
 *
 * outDir must not exist or be empty; it receives master.m3u8, manifest.mpd and the CMAF segments.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export const SAMPLE_SECONDS = 20;
export const FPS = 30;
export const GOP = 120;
export const SEGMENT_SECONDS = GOP / FPS;

/** largest first, as packageTitle wants them */
export const SAMPLE_RENDITIONS = [
  {
    name: '720p',
    width: 1280,
    height: 720,
    bitrateKbps: 2500,
    maxrateKbps: 3750,
    bufsizeKbps: 7500,
    profile: 'high',
    level: '3.1',
  },
  {
    name: '360p',
    width: 640,
    height: 360,
    bitrateKbps: 800,
    maxrateKbps: 1200,
    bufsizeKbps: 2400,
    profile: 'main',
    level: '3.0',
  },
  {
    name: '240p',
    width: 426,
    height: 240,
    bitrateKbps: 400,
    maxrateKbps: 600,
    bufsizeKbps: 1200,
    profile: 'main',
    level: '2.1',
  },
];

const FFMPEG = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', '-y'];

/** @param {string[]} args */
async function ffmpeg(args) {
  await run('ffmpeg', [...FFMPEG, ...args], { maxBuffer: 16 * 1024 * 1024 });
}

/**
 * Encode the sample and package it into `outDir`.
 * @param {string} outDir
 * @returns {Promise<{ outDir: string, hlsMaster: string, dashManifest: string, files: string[] }>}
 */
export async function makeSamplePackage(outDir) {
  const { packageTitle } = await import(pathToFileURL(join(ROOT, 'dist/lib/media/package.js')).href);
  const work = await mkdtemp(join(tmpdir(), 'flix-sample-'));
  try {
    const renditions = [];
    for (const r of SAMPLE_RENDITIONS) {
      const file = join(work, `${r.name}.mp4`);
      await ffmpeg([
        '-f',
        'lavfi',
        '-i',
        `testsrc2=size=${r.width}x${r.height}:rate=${FPS}:duration=${SAMPLE_SECONDS}`,
        '-an',
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-profile:v',
        r.profile,
        '-level:v',
        r.level,
        '-pix_fmt',
        'yuv420p',
        '-b:v',
        `${r.bitrateKbps}k`,
        '-maxrate:v',
        `${r.maxrateKbps}k`,
        '-bufsize:v',
        `${r.bufsizeKbps}k`,
        '-g',
        String(GOP),
        '-keyint_min',
        String(GOP),
        '-sc_threshold',
        '0',
        '-force_key_frames',
        `expr:gte(n,n_forced*${GOP})`,
        '-x264-params',
        'open-gop=0:scenecut=0',
        '-movflags',
        '+faststart',
        file,
      ]);
      renditions.push({ rendition: r, file });
    }
    const m4a = join(work, 'stereo.m4a');
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      `sine=frequency=440:sample_rate=48000:duration=${SAMPLE_SECONDS}`,
      '-f',
      'lavfi',
      '-i',
      `sine=frequency=660:sample_rate=48000:duration=${SAMPLE_SECONDS}`,
      '-filter_complex',
      '[0:a][1:a]join=inputs=2:channel_layout=stereo[a]',
      '-map',
      '[a]',
      '-c:a',
      'aac',
      '-b:a',
      '128k',
      '-ac',
      '2',
      '-ar',
      '48000',
      m4a,
    ]);
    const result = await packageTitle({
      renditions,
      audio: [{ id: 'stereo', label: 'Stereo', file: m4a }],
      outDir,
      segmentSeconds: SEGMENT_SECONDS,
      displayAspectRatio: '16:9',
      frameRate: `${FPS}/1`,
    });
    return { outDir, hlsMaster: result.hlsMaster, dashManifest: result.dashManifest, files: result.files };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: node test/browser/make-sample-package.mjs <outDir>');
    process.exit(2);
  }
  const started = Date.now();
  const r = await makeSamplePackage(resolve(out));
  console.log(
    `packaged ${r.files.length} files into ${r.outDir} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}
