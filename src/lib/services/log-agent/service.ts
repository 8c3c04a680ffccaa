import { type FSWatcher, watch } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Counter } from 'prom-client';
import { readPlan } from '../../cluster/endpoints.js';
import { readJson, writeJsonAtomic } from '../../cluster/state.js';
import { clusterPaths } from '../../core/paths.js';
import { lazyProducer, topics } from '../../platform/events.js';
import type { ServiceContext, ServiceHandle } from '../../platform/host.js';
import type { LogLevel, LogRecord } from './contract.js';
import { engineExporters } from './engine-metrics.js';
import { parseLine } from './formats.js';
import { type LogFile, logFiles } from './sources.js';
import { FileTail, type TailLine, type TailPosition } from './tail.js';

/** Most records in one send to Kafka. */
const BATCH = 2000;
/** The longest between two readings of the plan and the log folder for new files (a new file in a watched folder is seen at once). */
const DISCOVER_MS = 10_000;

interface Followed {
  file: LogFile;
  tail: FileTail;
  /** the position Kafka has acknowledged everything before */
  acked: TailPosition | null;
  /** the level of the file's last line, for the lines that do not say theirs (stack traces) */
  lastLevel: LogLevel;
}

/**
 * The log agent (Chukwa's agent): follows every log file of the cluster and sends each line,
 * parsed, onto the `logs` topic. One agent for the cluster rather than one per zone: every
 * component's file is on this one machine, and a zone's records say their zone anyway.
 *
 * Delivery is at least once. The agent keeps, per file, the offset up to which Kafka has
 * acknowledged every line (`checkpoint.json` in its data folder, written after each
 * acknowledgement); after a crash it starts again from there, so what it had read and not yet had
 * acknowledged is sent again — at most one batch per file, which the index stores once (a
 * record's id is its place in its file). A failed send is read again from the acknowledged offset.
 */
export async function startLogAgent(ctx: ServiceContext): Promise<ServiceHandle> {
  const pollMs = Number(ctx.component.settings.pollMs ?? 10_000);
  const batchMs = Number(ctx.component.settings.batchMs ?? 200);
  const paths = clusterPaths(ctx.cluster);
  const checkpointFile = join(ctx.component.dataDir, 'checkpoint.json');
  const checkpoint = (await readJson<Record<string, TailPosition>>(checkpointFile)) ?? {};
  const producer = lazyProducer(ctx.endpoints, ctx.component.name);
  // the engines' own numbers for Prometheus (GET /metrics/engine/<component>), read when scraped
  const exporters = engineExporters(ctx.endpoints, ctx.secrets);
  const followed = new Map<string, Followed>();
  const counts = { files: 0, lines: 0, bytes: 0, batches: 0, failedSends: 0, behindBytes: 0, passes: 0 };
  let lastFailureLogged = 0;
  // nginx's own counters (stub_status) say nothing of the cache: the edges' metrics come from
  // their access lines, counted once Kafka has them (a line read again after a failed send is
  // not counted twice; one re-sent after the agent's own crash is)
  const registers = [ctx.metrics.registry];
  const edgeRequests = new Counter({
    name: 'flix_edge_requests_total',
    help: "An edge's requests by cache result (HIT, MISS, ...; NONE when not cacheable) and status class",
    labelNames: ['edge', 'cache', 'status'],
    registers,
  });
  const edgeBytes = new Counter({
    name: 'flix_edge_sent_bytes_total',
    help: 'Body bytes an edge sent, by cache result',
    labelNames: ['edge', 'cache'],
    registers,
  });
  const countEdge = (r: LogRecord) => {
    const f = r.fields;
    if (r.source !== 'access' || typeof f?.status !== 'number') return;
    const cache =
      typeof f.upstream_cache_status === 'string' && f.upstream_cache_status
        ? f.upstream_cache_status
        : 'NONE';
    edgeRequests.inc({ edge: r.component, cache, status: `${Math.floor(f.status / 100)}xx` });
    if (typeof f.bytes === 'number') edgeBytes.inc({ edge: r.component, cache }, f.bytes);
  };

  const discover = async () => {
    const plan = await readPlan(ctx.cluster);
    const others = await readdir(paths.logs).catch(() => [] as string[]);
    const files = logFiles(
      plan?.components ?? [],
      paths.supervisorLog,
      others.map((n) => join(paths.logs, n)),
    );
    for (const file of files) {
      if (followed.has(file.path)) continue;
      followed.set(file.path, {
        file,
        tail: new FileTail(file.path, checkpoint[file.path]),
        acked: checkpoint[file.path] ?? null,
        lastLevel: 'info',
      });
    }
    counts.files = followed.size;
  };

  const toRecord = (f: Followed, { text, ino, gen, offset }: TailLine): LogRecord => {
    const p = parseLine(f.file.format, text);
    const level = p.level ?? f.lastLevel;
    f.lastLevel = level;
    const record: LogRecord = {
      // one id per line ever written, so a line sent twice is stored once
      id: `${f.file.component}:${f.file.source}:${gen > 0 ? `${ino}.${gen}` : ino}:${offset}`,
      time: new Date(p.time !== undefined && Number.isFinite(p.time) ? p.time : Date.now()).toISOString(),
      component: f.file.component,
      service: f.file.service,
      zone: p.zone ?? f.file.zone,
      source: f.file.source,
      offset,
      level,
      msg: p.msg,
    };
    if (p.traceId) record.traceId = p.traceId;
    if (p.userId) record.userId = p.userId;
    if (p.fields) record.fields = p.fields;
    return record;
  };

  /** One pass over every file: read, send, then move the checkpoint. */
  const pass = async () => {
    const records: LogRecord[] = [];
    // the files read this pass, and where their first new line starts (to read again if the send fails)
    const read: { f: Followed; from?: TailPosition }[] = [];
    for (const f of followed.values()) {
      if (records.length >= BATCH) break;
      const lines = await f.tail.read();
      if (lines.length === 0) {
        // a rotated or replaced file: what was acknowledged names the old inode
        const at = f.tail.position();
        if (at.ino >= 0 && (f.acked?.ino !== at.ino || f.acked.offset !== at.offset)) read.push({ f });
        continue;
      }
      const first = lines[0] as TailLine;
      read.push({ f, from: { ino: first.ino, gen: first.gen, offset: first.offset } });
      for (const l of lines) {
        records.push(toRecord(f, l));
        counts.bytes += l.next - l.offset;
      }
    }
    if (records.length > 0) {
      try {
        const p = await producer.get();
        for (const messages of requestsOf(records))
          await p.send({ topic: topics.logs.name, acks: -1, messages });
      } catch (error) {
        counts.failedSends++;
        for (const { f, from } of read) if (from) f.tail.rewind(from);
        if (Date.now() - lastFailureLogged > 30_000) {
          lastFailureLogged = Date.now();
          ctx.log.warn('logs not sent; they are read again from the last acknowledged line', {
            error: String(error),
          });
        }
        return false;
      }
      counts.lines += records.length;
      counts.batches++;
      for (const r of records) countEdge(r);
    }
    if (read.length === 0) return false;
    for (const { f } of read) {
      f.acked = f.tail.position();
      checkpoint[f.file.path] = f.acked;
    }
    await writeJsonAtomic(checkpointFile, checkpoint);
    return records.length >= BATCH;
  };

  // The filesystem says when a log grows (inotify, through fs.watch): a pass runs batchMs after
  // the first change, so one pass takes many lines, and an idle cluster costs no reads at all.
  // pollMs is the fallback for what a watch cannot see (a folder replaced under it).
  const watchers = new Map<string, FSWatcher>();
  let wake: (() => void) | null = null;
  let changed = false;
  let newFiles = false;
  const signal = (event: string) => {
    changed = true;
    if (event === 'rename') newFiles = true;
    wake?.();
  };
  const watchFolders = () => {
    const folders = new Set([paths.logs, ...[...followed.keys()].map((p) => dirname(p))]);
    for (const folder of folders) {
      if (watchers.has(folder)) continue;
      try {
        watchers.set(folder, watch(folder, { persistent: false }, signal));
      } catch {
        // not there yet (an edge that has not started): the next discovery tries again
      }
    }
  };
  const until = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = null;
        resolve();
      }
      wake = done;
    });

  await discover();
  watchFolders();
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const loop = async () => {
    let lastDiscovery = Date.now();
    while (!stopped) {
      changed = false;
      // a full batch goes on at once; otherwise wait for more lines
      const more = await pass().catch((error) => {
        ctx.log.warn('log pass failed', { error: String(error) });
        return false;
      });
      if (more) continue;
      let behind = 0;
      for (const f of followed.values()) behind += await f.tail.behind();
      counts.behindBytes = behind;
      if (newFiles || Date.now() - lastDiscovery >= DISCOVER_MS) {
        newFiles = false;
        lastDiscovery = Date.now();
        await discover().catch(() => {});
        watchFolders();
      }
      if (stopped) break;
      if (!changed) await until(pollMs);
      // gather what else is written in the next moment into the same pass
      if (!stopped) await new Promise((r) => setTimeout(r, batchMs));
      counts.passes++;
    }
  };
  running = loop();

  return {
    async stop() {
      stopped = true;
      wake?.();
      await running;
      for (const w of watchers.values()) w.close();
      for (const f of followed.values()) await f.tail.close();
      await producer.disconnect();
      await Promise.all([...exporters.values()].map((e) => e.close().catch(() => {})));
    },
    status: () => counts,
    scrape: (name) => {
      const engine = /^engine\/(.+)$/.exec(name)?.[1];
      return (engine && exporters.get(engine)?.scrape()) || null;
    },
  };
}

/** Under the broker's limit on one request's batch (1 MiB by default), with room to spare. */
const REQUEST_BYTES = 512 * 1024;

/** The records as Kafka messages, in requests of at most about REQUEST_BYTES each. */
function requestsOf(records: readonly LogRecord[]): { key: string; value: string }[][] {
  const requests: { key: string; value: string }[][] = [];
  let current: { key: string; value: string }[] = [];
  let bytes = 0;
  for (const r of records) {
    const value = JSON.stringify(r);
    const size = Buffer.byteLength(value) + Buffer.byteLength(r.component) + 64;
    if (current.length > 0 && bytes + size > REQUEST_BYTES) {
      requests.push(current);
      current = [];
      bytes = 0;
    }
    current.push({ key: r.component, value });
    bytes += size;
  }
  if (current.length > 0) requests.push(current);
  return requests;
}
