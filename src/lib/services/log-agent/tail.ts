import { createHash } from 'node:crypto';
import { type FileHandle, open, stat } from 'node:fs/promises';

/**
 * Where a tail stands in its file: the file (by inode, and a hash of its first bytes, since a
 * deleted file's inode number is soon given to a new file), how often it was truncated, and the
 * byte after the last line taken.
 */
export interface TailPosition {
  ino: number;
  /** how many times this file was seen cut back to empty (its offsets then start again) */
  gen?: number;
  offset: number;
  /** sha1 of the file's first `headBytes` bytes */
  head?: string;
  headBytes?: number;
}

/** How much of a file's start identifies it. */
const HEAD_BYTES = 256;

export interface TailLine {
  text: string;
  ino: number;
  gen: number;
  /** byte offset of the line's start */
  offset: number;
  /** byte offset just past its newline: the position once this line is delivered */
  next: number;
}

/** A line longer than this is cut into pieces of this size. */
const MAX_LINE = 64 * 1024;

/**
 * Follows one log file by byte offset, complete lines only (a line still being written waits for
 * its newline). It survives the two ways logs are cut: rotation (the path now names a new file —
 * the old one, still open, is read to its end first) and truncation (the file got shorter — read
 * again from its start). Starting from a checkpoint of the same file (inode and first bytes)
 * resumes there; from any other (the file was replaced while nothing was reading it), from the
 * start.
 */
export class FileTail {
  private fd: FileHandle | null = null;
  private ino = -1;
  private gen = 0;
  private offset = 0;
  private head = { hash: '', bytes: 0 };

  constructor(
    readonly path: string,
    private readonly resumeAt?: TailPosition,
  ) {}

  /** The complete lines written since the last call, up to about `maxBytes` of them. */
  async read(maxBytes = 256 * 1024): Promise<TailLine[]> {
    if (!this.fd && !(await this.openFile(this.resumeAt))) return [];
    const lines = await this.drain(maxBytes);
    if (lines.length > 0) return lines;
    // nothing new in the open file: has the path moved on, or shrunk?
    const now = await stat(this.path).catch(() => null);
    if (now && now.ino !== this.ino) {
      await this.close();
      if (await this.openFile()) return this.drain(maxBytes);
    } else if (now && now.size < this.offset) {
      this.offset = 0;
      this.gen++;
      this.head = { hash: '', bytes: 0 };
      return this.drain(maxBytes);
    }
    return [];
  }

  /** Go back to a position already delivered (a send that failed is read again). */
  rewind(to: TailPosition): void {
    if (to.ino === this.ino && (to.gen ?? 0) === this.gen && to.offset <= this.offset)
      this.offset = to.offset;
  }

  position(): TailPosition {
    return {
      ino: this.ino,
      gen: this.gen,
      offset: this.offset,
      head: this.head.hash,
      headBytes: this.head.bytes,
    };
  }

  /** Bytes written and not yet read. */
  async behind(): Promise<number> {
    if (!this.fd) return 0;
    const s = await this.fd.stat().catch(() => null);
    return s ? Math.max(0, s.size - this.offset) : 0;
  }

  async close(): Promise<void> {
    await this.fd?.close().catch(() => {});
    this.fd = null;
  }

  private async openFile(resumeAt?: TailPosition): Promise<boolean> {
    try {
      this.fd = await open(this.path, 'r');
    } catch {
      return false;
    }
    const s = await this.fd.stat();
    this.ino = s.ino;
    this.head = { hash: '', bytes: 0 };
    const same =
      resumeAt !== undefined &&
      resumeAt.ino === s.ino &&
      resumeAt.offset <= s.size &&
      (resumeAt.head === undefined || (await this.hashHead(resumeAt.headBytes ?? 0)) === resumeAt.head);
    this.offset = same ? resumeAt.offset : 0;
    // the same inode with other contents was cut back while nothing read it: a new generation
    this.gen = resumeAt?.ino === s.ino ? (resumeAt.gen ?? 0) + (same ? 0 : 1) : 0;
    return true;
  }

  private async hashHead(bytes: number): Promise<string> {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await (this.fd as FileHandle).read(buffer, 0, bytes, 0);
    return createHash('sha1').update(buffer.subarray(0, bytesRead)).digest('hex');
  }

  /** Keeps the hash of the file's start up to date while the file is shorter than HEAD_BYTES. */
  private async updateHead(): Promise<void> {
    const bytes = Math.min(this.offset, HEAD_BYTES);
    if (bytes > this.head.bytes) this.head = { hash: await this.hashHead(bytes), bytes };
  }

  private async drain(maxBytes: number): Promise<TailLine[]> {
    const fd = this.fd as FileHandle;
    const buffer = Buffer.allocUnsafe(maxBytes);
    const { bytesRead } = await fd.read(buffer, 0, maxBytes, this.offset);
    if (bytesRead === 0) return [];
    const chunk = buffer.subarray(0, bytesRead);
    const lines: TailLine[] = [];
    let start = 0;
    for (;;) {
      const end = chunk.indexOf(10, start);
      if (end < 0) {
        // no newline in what is left: a line being written, unless it is already too long
        if (bytesRead - start >= MAX_LINE) {
          const stop = start + MAX_LINE;
          lines.push(this.line(chunk, start, stop, stop));
          start = stop;
          continue;
        }
        break;
      }
      lines.push(this.line(chunk, start, end, end + 1));
      start = end + 1;
    }
    this.offset += start;
    await this.updateHead();
    return lines.filter((l) => l.text.trim() !== '');
  }

  private line(chunk: Buffer, start: number, end: number, next: number): TailLine {
    let e = end;
    if (e > start && chunk[e - 1] === 13) e--; // CRLF
    return {
      text: chunk.toString('utf8', start, e),
      ino: this.ino,
      gen: this.gen,
      offset: this.offset + start,
      next: this.offset + next,
    };
  }
}
