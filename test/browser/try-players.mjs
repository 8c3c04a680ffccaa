#!/usr/bin/env node
// @ts-check
/**
 * Checks the browser harness (test/browser/players.ts) end to end without a cluster: makes a small
 * flix package (make-sample-package.mjs, flix's packager from dist), serves it from a CORS-enabled
 * local server on a port of its own, and plays it in Chromium — master.m3u8 with hls.js and Shaka,
 * manifest.mpd with dash.js and Shaka — with a seek, under a bandwidth cap and to the end, printing
 * every report.
 *
 *   node test/browser/try-players.mjs [--dir <package>] [--only hls,dash,shaka] [--throttle <kbps>]
 *                                     [--debug-builds] [--json <file>]
 *
 * --dir plays an existing package (a directory with master.m3u8 and manifest.mpd) instead of
 * making one. Needs chromium on PATH and `npm run build` done.
 */
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import ts from 'typescript';
import { makeSamplePackage } from './make-sample-package.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');

const { values: args } = parseArgs({
  options: {
    dir: { type: 'string' },
    only: { type: 'string' },
    throttle: { type: 'string', default: '800' },
    'debug-builds': { type: 'boolean', default: false },
    json: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(
    'usage: node test/browser/try-players.mjs [--dir <package>] [--only hls,dash,shaka] [--throttle <kbps>] [--debug-builds] [--json <file>]',
  );
  process.exit(0);
}

/** players.ts, transpiled beside node_modules so its imports resolve (Node 20 runs no TypeScript) */
async function loadHarness() {
  const source = await readFile(join(HERE, 'players.ts'), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    fileName: 'players.ts',
  });
  const out = join(ROOT, 'node_modules/.cache/flix-browser/players.mjs');
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, outputText);
  return /** @type {typeof import('./players.ts')} */ (await import(pathToFileURL(out).href));
}

const TYPES = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.mpd': 'application/dash+xml',
  '.mp4': 'video/mp4',
  '.m4s': 'video/iso.segment',
  '.vtt': 'text/vtt',
};

/**
 * A static server for a package directory with the CORS headers a web player needs: any origin,
 * Range allowed in the preflight, Content-Length and Content-Range exposed.
 * @param {string} dir
 * @returns {Promise<{ origin: string, requests: string[], close(): Promise<void> }>}
 */
async function serveWithCors(dir) {
  const root = resolve(dir);
  /** @type {string[]} */
  const requests = [];
  const cors = {
    'access-control-allow-origin': '*',
    'access-control-expose-headers': 'Content-Length, Content-Range',
  };
  const server = createServer(async (req, res) => {
    requests.push(`${req.method} ${req.url}${req.headers.range ? ` ${req.headers.range}` : ''}`);
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        ...cors,
        'access-control-allow-methods': 'GET, HEAD, OPTIONS',
        'access-control-allow-headers': 'Range',
        'access-control-max-age': '600',
      });
      return res.end();
    }
    const path = normalize(join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    if (!path.startsWith(root + sep)) {
      res.writeHead(403, cors);
      return res.end();
    }
    let size;
    try {
      const s = await stat(path);
      if (!s.isFile()) throw new Error('not a file');
      size = s.size;
    } catch {
      res.writeHead(404, { ...cors, 'content-type': 'text/plain' });
      return res.end('not found');
    }
    const headers = {
      ...cors,
      'content-type': TYPES[/** @type {keyof TYPES} */ (extname(path))] ?? 'application/octet-stream',
      'accept-ranges': 'bytes',
      'cache-control': 'no-cache',
    };
    let start = 0;
    let end = size - 1;
    let status = 200;
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      if (range[1]) {
        start = Number(range[1]);
        if (range[2]) end = Math.min(end, Number(range[2]));
      } else if (range[2]) {
        start = Math.max(0, size - Number(range[2]));
      }
      if (start > end) {
        res.writeHead(416, { ...cors, 'content-range': `bytes */${size}` });
        return res.end();
      }
      status = 206;
      Object.assign(headers, { 'content-range': `bytes ${start}-${end}/${size}` });
    }
    res.writeHead(status, { ...headers, 'content-length': String(end - start + 1) });
    if (req.method === 'HEAD') return res.end();
    createReadStream(path, { start, end }).pipe(res);
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok(undefined));
  });
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    origin: `http://127.0.0.1:${address.port}`,
    requests,
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections();
        server.close(() => ok(undefined));
      }),
  };
}

/** @param {import('./players.ts').PlayReport} r */
function summary(r) {
  const lines = [
    `  reached ${r.reachedSeconds} s of ${r.durationSeconds} s${r.ended ? ' (ended)' : ''}; startup ${r.startupMs} ms; play took ${(r.elapsedMs / 1000).toFixed(1)} s`,
    `  frames decoded ${r.decodedFrames}, dropped ${r.droppedFrames}; stalls ${r.stalls}`,
    `  seek: ${r.seeked ? `to ${r.seeked.to} s, reached ${r.seeked.reachedAfter} s, seeked in ${r.seeked.seekMs} ms` : '-'}`,
    `  offered ${r.offeredHeights.join('/')}; renditions seen ${r.renditions.join(' → ')}; switchedDown ${r.switchedDown}${r.throttle ? `; throttled to ${r.throttle.kbps} kbit/s at ${r.throttle.appliedAtSeconds} s (showing ${r.throttle.appliedAtHeight}p)` : ''}`,
    `  switches: ${r.switches.map((s) => `${s.height}@${s.at}s (${s.source})`).join(', ') || '-'}`,
  ];
  for (const [name, list] of /** @type {const} */ ([
    ['errors', r.errors],
    ['warnings', r.warnings],
    ['consoleErrors', r.consoleErrors],
  ])) {
    lines.push(`  ${name}: ${list.length === 0 ? 'none' : ''}`);
    for (const m of list) lines.push(`    - ${m}`);
  }
  return lines.join('\n');
}

const { startPlayerPage } = await loadHarness();
const only = args.only ? args.only.split(',') : ['hls', 'dash', 'shaka'];
const throttleKbps = Number(args.throttle);

let made = null;
let dir = args.dir ? resolve(args.dir) : null;
if (!dir) {
  const parent = await mkdtemp(join(tmpdir(), 'flix-try-players-'));
  made = parent;
  dir = join(parent, 'package');
  const t0 = Date.now();
  const pkg = await makeSamplePackage(dir);
  console.log(
    `made a sample package (${pkg.files.length} files) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
}

const media = await serveWithCors(dir);
const browser = await startPlayerPage();
console.log(`page ${browser.origin}, media ${media.origin}`);
/** @type {Array<{ name: string, report: import('./players.ts').PlayReport }>} */
const results = [];
try {
  /** @type {Array<[import('./players.ts').PlayerName, string]>} */
  const matrix = [
    ['hls', 'master.m3u8'],
    ['shaka', 'master.m3u8'],
    ['dash', 'manifest.mpd'],
    ['shaka', 'manifest.mpd'],
  ];
  for (const [player, manifest] of matrix) {
    if (!only.includes(player)) continue;
    const manifestUrl = `${media.origin}/${manifest}`;
    const runs = [
      { label: 'play 12 s, seek to 16 s', opts: { playSeconds: 12, seekTo: 16 } },
      { label: `throttled to ${throttleKbps} kbit/s`, opts: { playSeconds: 16, throttleKbps } },
      // past the duration: plays until the video ends
      { label: 'play to the end', opts: { playSeconds: 1000, playTimeoutMs: 90_000 } },
    ];
    for (const run of runs) {
      const name = `${player} × ${manifest}: ${run.label}${args['debug-builds'] ? ' (debug builds)' : ''}`;
      const report = await browser.play({
        player,
        manifestUrl,
        debugBuilds: args['debug-builds'],
        ...run.opts,
      });
      results.push({ name, report });
      console.log(`\n${name}\n${summary(report)}`);
    }
  }
} finally {
  await browser.close();
  await media.close();
  if (made) await rm(made, { recursive: true, force: true });
}
if (args.json) {
  await writeFile(args.json, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nreports written to ${args.json}`);
}
