/**
 * Plays a title in a real headless browser (Debian's Chromium, driven by playwright-core) with the
 * three standard web players — hls.js, dash.js (npm `dashjs`) and Shaka Player — and reports what
 * happened: how far playback got, the frames decoded and dropped, a seek, the renditions shown, a
 * switch down under a bandwidth cap, and every error and warning the player, the console and the
 * network reported.
 *
 * The players run on a page served by a tiny local server (127.0.0.1, a port of its own), so the
 * media is always on another origin, as it is for a real web app: the media server must answer
 * with CORS headers.
 *
 *   const browser = await startPlayerPage();
 *   try {
 *     const report = await browser.play({ player: 'hls', manifestUrl, seekTo: 16 });
 *   } finally {
 *     await browser.close();
 *   }
 *
 * Needs `apt-get install chromium` (or FLIX_CHROMIUM=/path/to/chromium) and the devDependencies
 * playwright-core, hls.js, dashjs and shaka-player.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

export type PlayerName = 'hls' | 'dash' | 'shaka';

export const PLAYERS: readonly PlayerName[] = ['hls', 'dash', 'shaka'];

export interface PlayOptions {
  player: PlayerName;
  /** an absolute URL on another origin (an edge, a CORS-enabled static server) */
  manifestUrl: string;
  /** play until video.currentTime reaches this (or the title ends); default 12 */
  playSeconds?: number;
  /** after playing, seek here and play on a little */
  seekTo?: number;
  /**
   * Cap the page's download bandwidth (CDP Network.emulateNetworkConditions) once the player is
   * showing its top rendition, then wait for it to switch down.
   */
  throttleKbps?: number;
  /**
   * How far ahead the player buffers, seconds. Default: the player's own default, or 8 when
   * throttled (a player that already holds the whole title never needs to switch).
   */
  bufferSeconds?: number;
  /** the bandwidth the players assume before they have measured any, bits/s; default 50 Mbit/s */
  startBandwidth?: number;
  /** the players' debug builds (dash.js, Shaka), whose logs say more; default false */
  debugBuilds?: boolean;
  /** default 30 s: from opening the page until playback starts */
  startTimeoutMs?: number;
  /** default: 4 × playSeconds + 20 s (throttled: 8 × + 30 s), to reach playSeconds once started */
  playTimeoutMs?: number;
  /** default 45 s: once throttled, for the switch down */
  switchTimeoutMs?: number;
  /** default 30 s: for the seek to complete and play on */
  seekTimeoutMs?: number;
}

export interface RenditionSwitch {
  /** video.currentTime when it was seen */
  at: number;
  height: number;
  /** what told: `video resize`, `hls.js LEVEL_SWITCHED`, `dash.js QUALITY_CHANGE_RENDERED`, `shaka adaptation`… */
  source: string;
}

export interface PlayReport {
  player: PlayerName;
  manifestUrl: string;
  /** video.currentTime after playing (before any seek) */
  reachedSeconds: number;
  /** video.duration as the player set it (the manifest's presentation duration) */
  durationSeconds: number | null;
  ended: boolean;
  decodedFrames: number;
  droppedFrames: number;
  seeked: { to: number; reachedAfter: number; seekMs: number } | null;
  /** the heights the player offers, tallest first */
  offeredHeights: number[];
  /** the heights seen, in the order first seen */
  renditions: number[];
  switches: RenditionSwitch[];
  /** a rendition lower than one already seen was shown or chosen */
  switchedDown: boolean;
  throttle: { kbps: number; appliedAtSeconds: number; appliedAtHeight: number } | null;
  /** from opening the page to the first `playing` event */
  startupMs: number | null;
  /** the whole play, page to report */
  elapsedMs: number;
  /** `waiting` events after playback started */
  stalls: number;
  /** the player's fatal/critical errors, uncaught exceptions, failed requests, HTTP ≥ 400, timeouts */
  errors: string[];
  /** the player's non-fatal errors, its own warning and error logs, aborted requests */
  warnings: string[];
  /** what the browser's console said at error or warning level (the players' logs are in warnings) */
  consoleErrors: string[];
}

export interface PlayerPage {
  /** the page server's origin, `http://127.0.0.1:<port>` */
  origin: string;
  play(opts: PlayOptions): Promise<PlayReport>;
  close(): Promise<void>;
}

export interface StartOptions {
  /** default: FLIX_CHROMIUM, else `chromium` (or `chromium-browser`) on PATH */
  executablePath?: string;
  /** default true */
  headless?: boolean;
}

/** Start the page server and the browser. Every play gets a fresh browser context. */
export async function startPlayerPage(opts: StartOptions = {}): Promise<PlayerPage> {
  const files = playerBundles();
  const server = await listen(files);
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath: opts.executablePath ?? findChromium(),
      headless: opts.headless ?? true,
      args: [
        '--no-sandbox',
        '--disable-dev-shm-usage',
        '--autoplay-policy=no-user-gesture-required',
        '--disable-background-timer-throttling',
        '--disable-renderer-backgrounding',
        '--disable-backgrounding-occluded-windows',
      ],
    });
  } catch (e) {
    await closeServer(server);
    throw e;
  }
  return {
    origin,
    play: (o) => playOnce(browser, origin, o),
    async close() {
      await browser.close().catch(() => {});
      await closeServer(server);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// the browser side

interface PageState {
  errors: Record<string, number>;
  warnings: Record<string, number>;
  switches: RenditionSwitch[];
  offeredHeights: number[];
  switchedDown: boolean;
  startedAt: number;
  playingAt: number | null;
  stalls: number;
  seek: { to: number; at: number; seekedAt: number | null } | null;
  currentTime: number;
  duration: number | null;
  ended: boolean;
  videoHeight: number;
  decodedFrames: number;
  droppedFrames: number;
}

async function playOnce(browser: Browser, origin: string, o: PlayOptions): Promise<PlayReport> {
  const started = Date.now();
  const playSeconds = o.playSeconds ?? 12;
  const throttled = o.throttleKbps !== undefined && o.throttleKbps > 0;
  const config = {
    startBandwidth: o.startBandwidth ?? 50_000_000,
    bufferSeconds: o.bufferSeconds ?? (throttled ? 8 : null),
  };
  const errors = new Counter();
  const warnings = new Counter();
  const consoleErrors = new Counter();
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    page.on('console', (m) => {
      const type = m.type();
      if (type !== 'error' && type !== 'warning') return;
      const url = m.location()?.url ?? '';
      // where it came from, unless it is the page itself
      consoleErrors.add(`[${type}] ${m.text()}${url && !url.startsWith(origin) ? ` (${url})` : ''}`);
    });
    page.on('pageerror', (e) => errors.add(`uncaught exception: ${e.message}`));
    page.on('requestfailed', (r) => {
      const why = r.failure()?.errorText ?? 'failed';
      // players abort requests on purpose (a switch, a seek); anything else is an error
      (why.includes('ERR_ABORTED') ? warnings : errors).add(`request ${why}: ${r.method()} ${r.url()}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400) errors.add(`HTTP ${r.status()} ${r.request().method()} ${r.url()}`);
    });

    const debug = o.debugBuilds ? '?debug=1' : '';
    await page.goto(`${origin}/${o.player}.html${debug}`, { waitUntil: 'load' });
    await page.evaluate(`window.flixStart(${JSON.stringify(o.manifestUrl)}, ${JSON.stringify(config)})`);

    const startTimeout = o.startTimeoutMs ?? 30_000;
    const playing = await waitFor(page, 'F.playingAt !== null && V.currentTime > 0', startTimeout);
    if (!playing) errors.add(`playback did not start within ${startTimeout / 1000} s`);

    let throttle: PlayReport['throttle'] = null;
    if (playing && throttled && o.throttleKbps) {
      // start high: wait (briefly) for the top rendition on screen, then cap the bandwidth
      await waitFor(page, 'F.offeredHeights.length > 0 && V.videoHeight >= F.offeredHeights[0]', 10_000);
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      const bytesPerSecond = (o.throttleKbps * 1000) / 8;
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 20,
        downloadThroughput: bytesPerSecond,
        uploadThroughput: bytesPerSecond,
      });
      const s = await snapshot(page);
      throttle = { kbps: o.throttleKbps, appliedAtSeconds: s.currentTime, appliedAtHeight: s.videoHeight };
    }

    if (playing) {
      const playTimeout = o.playTimeoutMs ?? (throttled ? 8 * playSeconds + 30 : 4 * playSeconds + 20) * 1000;
      const reached = await waitFor(page, `V.currentTime >= ${playSeconds} || V.ended`, playTimeout);
      if (!reached) {
        const s = await snapshot(page);
        errors.add(
          `playback did not reach ${playSeconds} s within ${playTimeout / 1000} s (at ${s.currentTime} s)`,
        );
      }
      if (throttled) {
        const switchTimeout = o.switchTimeoutMs ?? 45_000;
        const down = await waitFor(page, 'F.switchedDown || V.ended', switchTimeout);
        if (!down) warnings.add(`no switch down within ${switchTimeout / 1000} s of the bandwidth cap`);
      }
    }
    const played = await snapshot(page);

    let seeked: PlayReport['seeked'] = null;
    if (playing && o.seekTo !== undefined) {
      const to = o.seekTo;
      await page.evaluate(`window.flixSeek(${JSON.stringify(to)})`);
      const seekTimeout = o.seekTimeoutMs ?? 30_000;
      // seeked, then playing on: 2 s past the target, or to the end
      const target = `Math.min(${to + 2}, (isFinite(V.duration) ? V.duration : Infinity) - 0.3)`;
      const done = await waitFor(
        page,
        `F.seek && F.seek.seekedAt !== null && (V.currentTime >= ${target} || V.ended)`,
        seekTimeout,
      );
      const s = await snapshot(page);
      if (!done) {
        errors.add(
          s.seek?.seekedAt == null
            ? `the seek to ${to} s did not complete within ${seekTimeout / 1000} s (at ${s.currentTime} s)`
            : `playback did not go on after the seek to ${to} s within ${seekTimeout / 1000} s (at ${s.currentTime} s)`,
        );
      }
      seeked = {
        to,
        reachedAfter: s.currentTime,
        seekMs: s.seek?.seekedAt != null ? Math.round(s.seek.seekedAt - s.seek.at) : -1,
      };
    }

    const end = await snapshot(page);
    for (const [m, n] of Object.entries(end.errors)) errors.add(m, n);
    for (const [m, n] of Object.entries(end.warnings)) warnings.add(m, n);
    const renditions: number[] = [];
    for (const sw of end.switches) if (!renditions.includes(sw.height)) renditions.push(sw.height);
    return {
      player: o.player,
      manifestUrl: o.manifestUrl,
      reachedSeconds: played.currentTime,
      durationSeconds: end.duration,
      ended: end.ended,
      decodedFrames: end.decodedFrames,
      droppedFrames: end.droppedFrames,
      seeked,
      offeredHeights: end.offeredHeights,
      renditions,
      switches: end.switches,
      switchedDown: end.switchedDown,
      throttle,
      startupMs: end.playingAt !== null ? Math.round(end.playingAt - end.startedAt) : null,
      elapsedMs: Date.now() - started,
      stalls: end.stalls,
      errors: errors.list(),
      warnings: warnings.list(),
      consoleErrors: consoleErrors.list(),
    };
  } finally {
    await context.close().catch(() => {});
  }
}

/** Waits for a condition on the page (`F` the harness state, `V` the video); false on timeout. */
async function waitFor(page: Page, condition: string, timeoutMs: number): Promise<boolean> {
  try {
    await page.waitForFunction(
      `(() => { const F = window.__flix, V = document.getElementById('video'); return !!(${condition}); })()`,
      undefined,
      { timeout: timeoutMs, polling: 100 },
    );
    return true;
  } catch (e) {
    if (e instanceof Error && e.name === 'TimeoutError') return false;
    throw e;
  }
}

async function snapshot(page: Page): Promise<PageState> {
  return (await page.evaluate('window.flixState()')) as PageState;
}

/** messages in the order first seen, a repeated one as `text (×n)` */
class Counter {
  private readonly counts = new Map<string, number>();
  add(message: string, n = 1): void {
    this.counts.set(message, (this.counts.get(message) ?? 0) + n);
  }
  list(): string[] {
    return [...this.counts].map(([m, n]) => (n > 1 ? `${m} (×${n})` : m));
  }
}

// ---------------------------------------------------------------------------------------------
// the page server

interface Bundles {
  hls: string;
  dash: string;
  dashDebug: string;
  shaka: string;
  shakaDebug: string;
}

/** The players' browser bundles, straight from node_modules. */
function playerBundles(): Bundles {
  const pick = (pkg: string, ...candidates: string[]): string => {
    const root = packageRoot(pkg);
    for (const c of candidates) {
      const p = join(root, c);
      if (existsSync(p)) return p;
    }
    throw new Error(`${pkg}: none of ${candidates.join(', ')} in ${root}`);
  };
  return {
    hls: pick('hls.js', 'dist/hls.min.js', 'dist/hls.js'),
    dash: pick('dashjs', 'dist/modern/umd/dash.all.min.js', 'dist/dash.all.min.js'),
    dashDebug: pick('dashjs', 'dist/modern/umd/dash.all.debug.js', 'dist/dash.all.debug.js'),
    shaka: pick('shaka-player', 'dist/shaka-player.compiled.js'),
    shakaDebug: pick('shaka-player', 'dist/shaka-player.compiled.debug.js', 'dist/shaka-player.compiled.js'),
  };
}

/** A package's directory: up from its resolved entry to the package.json that names it. */
function packageRoot(pkg: string): string {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve(pkg));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === pkg
    ) {
      return dir;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the directory of ${pkg}`);
    dir = up;
  }
}

function findChromium(): string {
  const env = process.env.FLIX_CHROMIUM;
  if (env) return env;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      const p = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (p) return p;
    } catch {
      // not this one
    }
  }
  throw new Error('no chromium on PATH: apt-get install -y chromium (or set FLIX_CHROMIUM)');
}

function listen(b: Bundles): Promise<Server> {
  const scripts: Record<string, string> = {
    '/lib/hls.js': b.hls,
    '/lib/dash.js': b.dash,
    '/lib/dash.debug.js': b.dashDebug,
    '/lib/shaka.js': b.shaka,
    '/lib/shaka.debug.js': b.shakaDebug,
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const debug = url.searchParams.get('debug') === '1';
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    const m = /^\/(hls|dash|shaka)\.html$/.exec(url.pathname);
    if (m) {
      const player = m[1] as PlayerName;
      const lib = player === 'hls' ? '/lib/hls.js' : `/lib/${player}${debug ? '.debug' : ''}.js`;
      return send(200, 'text/html; charset=utf-8', pageHtml(player, lib));
    }
    if (url.pathname === '/harness.js') return send(200, 'text/javascript; charset=utf-8', HARNESS);
    const file = scripts[url.pathname];
    if (file) return send(200, 'text/javascript; charset=utf-8', readFileSync(file));
    send(404, 'text/plain', 'not found');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function pageHtml(player: PlayerName, lib: string): string {
  return `<!doctype html>
<html>
<head>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>flix ${player} (${basename(lib)})</title>
<script src="/harness.js"></script>
<script src="${lib}"></script>
<script>window.flixPlayer = ${JSON.stringify(player)};</script>
</head>
<body style="margin:0;background:#000">
<video id="video" muted playsinline style="width:1280px;height:720px"></video>
</body>
</html>
`;
}

/**
 * The page's harness, plain browser JavaScript: state in `window.__flix`, `flixStart(url, config)`
 * for the page's player, `flixSeek(t)` and `flixState()`.
 */
const HARNESS = `
(() => {
  'use strict';
  const F = (window.__flix = {
    errors: {}, warnings: {}, switches: [], offeredHeights: [], switchedDown: false,
    startedAt: performance.now(), playingAt: null, stalls: 0, seek: null,
  });
  const video = () => document.getElementById('video');
  const now = () => { const v = video(); return v ? Math.round(v.currentTime * 1000) / 1000 : 0; };
  const text = (x) => {
    if (typeof x === 'string') return x;
    if (x instanceof Error) return x.message;
    try {
      return JSON.stringify(x, (k, v) => (v instanceof ArrayBuffer || ArrayBuffer.isView(v) ? '[' + v.byteLength + ' bytes]' : v instanceof Node ? '[' + v.nodeName + ']' : v));
    } catch (e) {
      return String(x);
    }
  };
  const add = (bag, msg) => { msg = String(msg).trim().slice(0, 2000); bag[msg] = (bag[msg] || 0) + 1; };
  const error = (msg) => add(F.errors, msg);
  const warn = (msg) => add(F.warnings, msg);
  const height = (h, source) => {
    if (!h) return;
    const last = F.switches.filter((s) => s.source === source).pop();
    if (last && last.height === h) return;
    if (F.switches.some((s) => s.height > h)) F.switchedDown = true;
    F.switches.push({ at: now(), height: h, source });
  };
  const offer = (heights) => {
    F.offeredHeights = [...new Set(heights.filter((h) => h > 0))].sort((a, b) => b - a);
  };

  document.addEventListener('DOMContentLoaded', () => {
    const v = video();
    v.addEventListener('playing', () => { if (F.playingAt === null) F.playingAt = performance.now(); });
    v.addEventListener('waiting', () => { if (F.playingAt !== null && !v.seeking) F.stalls++; });
    v.addEventListener('resize', () => height(v.videoHeight, 'video resize'));
    v.addEventListener('seeked', () => { if (F.seek && F.seek.seekedAt === null) F.seek.seekedAt = performance.now(); });
    v.addEventListener('error', () => {
      const e = v.error;
      error('video element error ' + (e ? e.code + ': ' + e.message : ''));
    });
  });

  const play = () => {
    const p = video().play();
    if (p && p.catch) p.catch((e) => error('video.play() rejected: ' + text(e)));
  };

  const hlsStart = (url, cfg) => {
    if (!window.Hls || !Hls.isSupported()) return error('hls.js: not supported in this browser');
    const noop = () => {};
    const log = (level) => (...a) => warn('hls.js log ' + level + ': ' + a.map(text).join(' '));
    const config = {
      autoStartLoad: false,
      abrEwmaDefaultEstimate: cfg.startBandwidth,
      abrEwmaDefaultEstimateMax: cfg.startBandwidth,
      debug: { trace: noop, debug: noop, log: noop, info: noop, warn: log('warn'), error: log('error') },
    };
    if (cfg.bufferSeconds) Object.assign(config, { maxBufferLength: cfg.bufferSeconds, maxMaxBufferLength: cfg.bufferSeconds });
    const hls = (F.player = new Hls(config));
    hls.on(Hls.Events.ERROR, (_, d) => {
      let m = 'hls.js ' + (d.fatal ? 'fatal' : 'non-fatal') + ' ' + d.type + '/' + d.details;
      if (d.reason) m += ': ' + d.reason;
      if (d.error && d.error.message && d.error.message !== d.reason) m += ' — ' + d.error.message;
      if (d.response && d.response.code) m += ' (HTTP ' + d.response.code + ')';
      if (d.frag) m += ' [' + d.frag.type + ' fragment ' + d.frag.sn + ' of level ' + d.frag.level + ': ' + d.frag.url + ']';
      else if (d.url) m += ' [' + d.url + ']';
      (d.fatal ? error : warn)(m);
    });
    hls.on(Hls.Events.MANIFEST_PARSED, (_, d) => {
      offer(d.levels.map((l) => l.height));
      // start at the top: the tallest level (hls.js orders levels by bitrate)
      let top = 0;
      d.levels.forEach((l, i) => { if (l.height > d.levels[top].height || (l.height === d.levels[top].height && l.bitrate > d.levels[top].bitrate)) top = i; });
      hls.startLevel = top;
      hls.startLoad(-1);
      play();
    });
    hls.on(Hls.Events.LEVEL_SWITCHED, (_, d) => {
      const l = hls.levels[d.level];
      if (l) height(l.height, 'hls.js LEVEL_SWITCHED');
    });
    hls.loadSource(url);
    hls.attachMedia(video());
  };

  const dashStart = (url, cfg) => {
    if (!window.dashjs) return error('dash.js: not loaded');
    const p = (F.player = dashjs.MediaPlayer().create());
    const E = dashjs.MediaPlayer.events;
    const settings = {
      // nothing to the console; every log line comes as a LOG event
      debug: { logLevel: 0, dispatchEvent: true },
      streaming: {
        abr: {
          initialBitrate: { video: cfg.startBandwidth / 1000, audio: -1 },
          autoSwitchBitrate: { video: true, audio: true },
        },
      },
    };
    if (cfg.bufferSeconds) {
      settings.streaming.buffer = {
        bufferTimeDefault: cfg.bufferSeconds,
        bufferTimeAtTopQuality: cfg.bufferSeconds,
        bufferTimeAtTopQualityLongForm: cfg.bufferSeconds,
      };
    }
    p.updateSettings(settings);
    const levels = ['none', 'fatal', 'error', 'warning', 'info', 'debug'];
    p.on(E.LOG, (e) => { if (e.level >= 1 && e.level <= 3) warn('dash.js log ' + levels[e.level] + ': ' + text(e.message)); });
    p.on(E.ERROR, (e) => {
      const er = e.error || {};
      error('dash.js ERROR ' + (er.code !== undefined ? er.code : '') + ': ' + (er.message || text(er)) + (er.data && er.data.url ? ' [' + er.data.url + ']' : ''));
    });
    p.on(E.PLAYBACK_ERROR, (e) => error('dash.js PLAYBACK_ERROR: ' + text(e.error && e.error.message ? e.error.message : e.error)));
    if (E.CONFORMANCE_VIOLATION) p.on(E.CONFORMANCE_VIOLATION, (e) => warn('dash.js conformance violation: ' + text(e.event || e)));
    p.on(E.STREAM_INITIALIZED, () => {
      try {
        const reps = p.getRepresentationsByType ? p.getRepresentationsByType('video') : p.getBitrateInfoListFor('video');
        offer(reps.map((r) => r.height));
      } catch (e) {
        warn('harness: cannot list the dash.js representations: ' + text(e));
      }
    });
    p.on(E.QUALITY_CHANGE_RENDERED, (e) => {
      if (e.mediaType !== 'video') return;
      const r = e.newRepresentation;
      if (r && r.height) height(r.height, 'dash.js QUALITY_CHANGE_RENDERED');
    });
    p.initialize(video(), url, true);
  };

  const shakaStart = async (url, cfg) => {
    if (!window.shaka) return error('shaka: not loaded');
    // the players' own logs are warnings; Shaka logs through the console
    for (const level of ['warn', 'error']) {
      const original = console[level].bind(console);
      console[level] = (...a) => {
        const m = a.map(text).join(' ');
        if (/^harness:/.test(m)) return original(...a);
        warn('shaka log ' + level + ': ' + m);
      };
    }
    if (shaka.log && shaka.log.setLevel && shaka.log.Level) shaka.log.setLevel(shaka.log.Level.WARNING);
    shaka.polyfill.installAll();
    if (!shaka.Player.isBrowserSupported()) return error('shaka: browser not supported');
    const codeName = (code) => {
      const codes = (shaka.util && shaka.util.Error && shaka.util.Error.Code) || {};
      for (const k in codes) if (codes[k] === code) return k;
      return String(code);
    };
    const describe = (d) => 'shaka ' + (d.severity === 2 ? 'critical' : 'recoverable') + ' error ' + d.code + ' ' + codeName(d.code) + ' (category ' + d.category + ')' + (d.data && d.data.length ? ': ' + text(d.data) : '');
    const player = (F.player = new shaka.Player());
    player.addEventListener('error', (e) => (e.detail && e.detail.severity === 2 ? error : warn)(describe(e.detail || {})));
    player.addEventListener('gapjumped', () => warn('shaka gapjumped near ' + now() + ' s'));
    player.addEventListener('stalldetected', () => warn('shaka stalldetected at ' + now() + ' s'));
    const active = (source) => {
      const t = player.getVariantTracks().find((x) => x.active);
      if (t) height(t.height, source);
    };
    player.addEventListener('adaptation', () => active('shaka adaptation'));
    player.addEventListener('variantchanged', () => active('shaka variantchanged'));
    player.addEventListener('trackschanged', () => offer(player.getVariantTracks().map((x) => x.height)));
    const config = {
      abr: { enabled: true, defaultBandwidthEstimate: cfg.startBandwidth, useNetworkInformation: false, restrictToElementSize: false },
    };
    if (cfg.bufferSeconds) config.streaming = { bufferingGoal: cfg.bufferSeconds, rebufferingGoal: 2 };
    player.configure(config);
    try {
      await player.attach(video());
      await player.load(url);
      offer(player.getVariantTracks().map((x) => x.height));
      active('shaka load');
      play();
    } catch (e) {
      error('shaka load failed: ' + (e && e.code !== undefined ? describe(e) : text(e)));
    }
  };

  window.flixStart = (url, cfg) => {
    const v = video();
    v.muted = true;
    v.autoplay = true;
    const start = { hls: hlsStart, dash: dashStart, shaka: shakaStart }[window.flixPlayer];
    Promise.resolve()
      .then(() => start(url, cfg))
      .catch((e) => error('harness: starting ' + window.flixPlayer + ' failed: ' + text(e)));
  };
  window.flixSeek = (t) => {
    F.seek = { to: t, at: performance.now(), seekedAt: null };
    const v = video();
    v.currentTime = t;
    if (v.paused) play();
  };
  window.flixState = () => {
    const v = video();
    const q = v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality() : { totalVideoFrames: 0, droppedVideoFrames: 0 };
    return Object.assign({}, F, {
      player: undefined,
      currentTime: now(),
      duration: isFinite(v.duration) ? Math.round(v.duration * 1000) / 1000 : null,
      ended: v.ended,
      videoHeight: v.videoHeight,
      decodedFrames: q.totalVideoFrames,
      droppedFrames: q.droppedVideoFrames,
    });
  };
})();
`;
