/**
 * What `flix play` shows: a progress line per segment (plus failovers and failed heartbeats) on
 * stderr, the same on a terminal and in CI; and the summary of a session for stdout.
 */
import { formatRate } from './abr/bandwidth.js';
import type { PlayAnswer } from './client/api.js';
import type { PlayerEvent } from './client/player.js';
import type { PlaySessionResult } from './client/session.js';

export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(2)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

const bps = (n: number | undefined) => (n === undefined ? '-' : formatRate(Math.round(n)));

/** The stderr line for a player event, or null when it is not worth a line. */
export function progressLine(e: PlayerEvent | { kind: 'play'; answer: PlayAnswer }): string | null {
  switch (e.kind) {
    case 'play':
      return `play ${e.answer.playId} of '${e.answer.title?.title}' (trace ${e.answer.traceId || '-'}), bookmark ${e.answer.position}s, edges ${e.answer.edges.map((x) => x.name).join(' > ') || 'none'}`;
    case 'manifest': {
      const p = e.presentation;
      const ladder = p.video.map((t) => `${t.id} ${bps(t.bitrateBps)}`).join(', ');
      return `${p.protocol.toUpperCase()} ${p.durationSeconds.toFixed(1)}s: ${ladder}${p.audio ? ' + audio' : ''}; from segment ${e.startSegment} (${e.startSeconds}s)`;
    }
    case 'segment': {
      const r = e.record;
      const s = e.state;
      const stall = s.phase === 'stalled' ? ' STALLED' : '';
      return (
        [
          `seg ${String(r.segment).padStart(3)}`,
          r.rendition.padEnd(6),
          r.reason.padEnd(15),
          r.edge,
          `${formatBytes(r.videoBytes + r.audioBytes)} in ${r.seconds.toFixed(2)}s (${r.realMs} ms real)`,
          `buffer ${s.bufferSeconds.toFixed(1)}s`,
          `est ${bps(r.throughputBps)}`,
          r.cacheStatus ?? '-',
        ].join('  ') + stall
      );
    }
    case 'failover':
      return `failover: ${e.event.uri} ${e.event.from} -> ${e.event.to} (${e.event.reason})`;
    case 'heartbeat':
      return e.ok ? null : `heartbeat at ${e.heartbeat.position}s failed: ${e.error}`;
  }
}

/** The human summary: key, value lines. */
export function summaryLines(r: PlaySessionResult): string[] {
  const pct = (a: number, b: number) => (b > 0 ? ` (${Math.round((100 * a) / b)}%)` : '');
  const played = r.renditions
    .filter((x) => x.segments > 0 || x.playedSeconds > 0)
    .map((x) => `${x.id} ${x.playedSeconds.toFixed(1)}s/${x.segments} seg`)
    .join(', ');
  const switches = r.switches.length
    ? r.switches.map(
        (s) => `${s.from}->${s.to} at ${s.atSeconds.toFixed(1)}s (seg ${s.segment}, ${s.reason})`,
      )
    : ['none'];
  const rows: Array<[string, string]> = [
    ['title', `${r.title} (${r.titleId})`],
    ['play id', r.playId],
    ['trace id', r.traceId || '-'],
    ['protocol', r.protocol],
    [
      'played',
      `${r.playedSeconds.toFixed(1)}s from ${r.startPositionSeconds}s (${r.endReason}${r.completed ? '' : ', not completed'}) in ${r.realSeconds.toFixed(1)}s real`,
    ],
    [
      'start latency',
      r.startLatencyMs === undefined ? '-' : `${r.startLatencyMs} ms to the first video byte`,
    ],
    ['startup', r.startupSeconds === undefined ? '-' : `${r.startupSeconds.toFixed(2)}s (media time)`],
    ['edges', r.edges.map((e) => `${e.name} ${e.objects} objects ${formatBytes(e.bytes)}`).join(', ') || '-'],
    [
      'failovers',
      r.failovers.length === 0
        ? '0'
        : `${r.failovers.length} object(s) moved; edge ${r.edgeSwitches.map((x) => `${x.from} -> ${x.to} at ${x.uri}`).join(', ') || 'unchanged'}`,
    ],
    ['renditions', played || '-'],
    ['switches', switches.join('; ')],
    ['rebuffering', `${r.rebufferCount} stall(s), ${r.rebufferSeconds.toFixed(2)}s`],
    [
      'bytes',
      `video ${formatBytes(r.videoBytes)}, audio ${formatBytes(r.audioBytes)}, manifests ${formatBytes(r.manifestBytes)}`,
    ],
    ['segments', `video ${r.videoSegments}, audio ${r.audioSegments}`],
    ['cache hits', `${r.cache.hits}/${r.cache.answers}${pct(r.cache.hits, r.cache.answers)}`],
    ['heartbeats', `${r.heartbeats.sent} sent, ${r.heartbeats.failed} failed`],
    ['throughput', `${bps(r.meanThroughputBps)} mean, ${bps(r.averageBitrateBps)} average bitrate played`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
}
