import { appendFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type LogRecord, parseLogRecord } from '../log-agent/contract.js';

/** The archive object of a record: its UTC hour and component. */
export function archiveKeyOf(r: Pick<LogRecord, 'time' | 'component'>): string {
  const t = r.time; // ISO 8601, UTC
  const safe = r.component.replace(/[^\p{L}\p{N}._-]/gu, '_');
  return `logs/${t.slice(0, 4)}/${t.slice(5, 7)}/${t.slice(8, 10)}/${t.slice(11, 13)}/${safe}.jsonl.gz`;
}

/** The end of the hour an archive key names, epoch ms. */
function hourEndOf(key: string): number {
  const m = /^logs\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\//.exec(key);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]! + 1) : 0;
}

/**
 * The hourly log archive on the origin, so the log outlives Elasticsearch. Each hour and
 * component is one gzip object: the collector appends every batch to a local file as one more
 * gzip member (a gzip of several members reads as the concatenation of their contents), and
 * uploads the files that changed every little while, replacing the object. A local file is
 * removed once its hour is over and its last version is on the origin. After a crash every local
 * file is uploaded again.
 *
 * Lines come at least once (an agent or a collector that crashed sends again what it was not sure
 * of); the archive keeps each once. The lines of one file come in order, so it remembers, per
 * object, the highest offset it holds of each file and skips what is not past it.
 */
export class HourlyArchive {
  private readonly dirty = new Set<string>();
  /** archive key → (the file a line came from, as its id names it → the highest offset held) */
  private readonly held = new Map<string, Map<string, number>>();

  constructor(
    private readonly dir: string,
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  /** Marks whatever a previous run left for upload. */
  async recover(): Promise<void> {
    for (const key of await filesUnder(this.dir)) this.dirty.add(key);
  }

  async append(records: readonly LogRecord[]): Promise<void> {
    const byKey = new Map<string, LogRecord[]>();
    for (const r of records) {
      const key = archiveKeyOf(r);
      const group = byKey.get(key) ?? [];
      byKey.set(key, group);
      group.push(r);
    }
    for (const [key, group] of byKey) {
      const held = await this.heldIn(key);
      const lines: string[] = [];
      for (const r of group) {
        const source = sourceOf(r.id);
        if (r.offset <= (held.get(source) ?? -1)) continue;
        held.set(source, r.offset);
        lines.push(JSON.stringify(r));
      }
      if (lines.length === 0) continue;
      await appendFile(join(this.dir, key), gzipSync(`${lines.join('\n')}\n`));
      this.dirty.add(key);
    }
  }

  /** What an object already holds, read once from its local file (or the origin's copy). */
  private async heldIn(key: string): Promise<Map<string, number>> {
    const known = this.held.get(key);
    if (known) return known;
    const file = join(this.dir, key);
    await mkdir(dirname(file), { recursive: true });
    // a record of an hour whose file is gone: the object gets it added, not replaced
    if (!(await exists(file))) await this.download(key, file);
    const held = new Map<string, number>();
    const body = await readFile(file).catch(() => null);
    if (body)
      for (const line of gunzipSync(body).toString('utf8').split('\n')) {
        const r = parseLogRecord(line);
        if (r) held.set(sourceOf(r.id), Math.max(r.offset, held.get(sourceOf(r.id)) ?? -1));
      }
    this.held.set(key, held);
    return held;
  }

  private async download(key: string, file: string): Promise<void> {
    try {
      const o = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      await writeFile(
        file,
        await (o.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      );
    } catch (error) {
      const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name !== 'NoSuchKey' && e.$metadata?.httpStatusCode !== 404) throw error;
    }
  }

  /** Uploads every changed file, then drops the local files of hours that are over; returns the keys uploaded. */
  async flush(now = Date.now()): Promise<string[]> {
    const uploaded: string[] = [];
    for (const key of [...this.dirty]) {
      // unmarked before reading: a batch appended meanwhile marks it again
      this.dirty.delete(key);
      const body = await readFile(join(this.dir, key)).catch(() => null);
      if (body === null) continue;
      try {
        await this.s3.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: key,
            Body: body,
            ContentType: 'application/gzip',
          }),
        );
      } catch (error) {
        this.dirty.add(key);
        throw error;
      }
      uploaded.push(key);
    }
    // a late record of a past hour can still come (an agent catching up): an hour's file is kept
    // for one more hour after it ends
    for (const key of await filesUnder(this.dir))
      if (!this.dirty.has(key) && hourEndOf(key) + 3_600_000 < now) {
        await rm(join(this.dir, key), { force: true });
        this.held.delete(key);
      }
    return uploaded;
  }
}

/** The file a record's line came from: its id without the offset. */
const sourceOf = (id: string) => id.slice(0, id.lastIndexOf(':'));

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.jsonl.gz'))
    .map((e) => relative(dir, join(e.parentPath, e.name)));
}
