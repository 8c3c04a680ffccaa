import { appendFile, mkdtemp, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileTail } from './tail.js';

describe('following a log file', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flix-tail-'));
    file = join(dir, 'c.log');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const texts = async (t: FileTail) => (await t.read()).map((l) => l.text);

  it('gives complete lines only: a line still being written waits for its newline', async () => {
    await writeFile(file, 'one\ntw');
    const t = new FileTail(file);
    expect(await texts(t)).toEqual(['one']);
    expect(t.position().offset).toBe(4);
    await appendFile(file, 'o\nthree\n');
    expect(await texts(t)).toEqual(['two', 'three']);
    expect(await texts(t)).toEqual([]);
    await t.close();
  });

  it('resumes from a checkpoint of the same file, and from the start of a replaced one', async () => {
    await writeFile(file, 'a\nb\n');
    const first = new FileTail(file);
    await first.read();
    const at = first.position();
    await first.close();
    await appendFile(file, 'c\n');
    const resumed = new FileTail(file, at);
    expect(await texts(resumed)).toEqual(['c']);
    await resumed.close();
    await rm(file);
    await writeFile(file, 'new\n');
    const replaced = new FileTail(file, at);
    expect(await texts(replaced)).toEqual(['new']);
    await replaced.close();
  });

  it('reads a rotated file to its end, then the new file from its start', async () => {
    await writeFile(file, 'old-1\n');
    const t = new FileTail(file);
    expect(await texts(t)).toEqual(['old-1']);
    await appendFile(file, 'old-2\n');
    await rename(file, `${file}.1`);
    await writeFile(file, 'new-1\n');
    expect(await texts(t)).toEqual(['old-2']);
    expect(await texts(t)).toEqual(['new-1']);
    await t.close();
  });

  it('starts again from the top of a truncated file', async () => {
    await writeFile(file, 'long line one\nlong line two\n');
    const t = new FileTail(file);
    await t.read();
    await truncate(file, 0);
    await appendFile(file, 'after\n');
    const [after] = await t.read();
    // its offsets start again: the new generation keeps its lines apart from the old ones
    expect(after).toMatchObject({ text: 'after', offset: 0, gen: 1 });
    await t.close();
  });

  it('counts a truncation it did not see as a new generation when it resumes', async () => {
    await writeFile(file, 'first run line\n');
    const t = new FileTail(file);
    await t.read();
    const saved = t.position();
    await t.close();
    await truncate(file, 0);
    await appendFile(file, 'other\nlines\n');
    const resumed = new FileTail(file, saved);
    expect((await resumed.read()).map((l) => [l.text, l.gen])).toEqual([
      ['other', 1],
      ['lines', 1],
    ]);
    await resumed.close();
  });

  it('reads lines again after a rewind to a delivered position, with their offsets', async () => {
    await writeFile(file, 'x\nyy\n');
    const t = new FileTail(file);
    const lines = await t.read();
    expect(lines.map((l) => [l.offset, l.next])).toEqual([
      [0, 2],
      [2, 5],
    ]);
    t.rewind({ ino: lines[1]!.ino, offset: 2 });
    expect(await texts(t)).toEqual(['yy']);
    await t.close();
  });

  it('waits for a file that does not exist yet', async () => {
    const t = new FileTail(file);
    expect(await texts(t)).toEqual([]);
    await writeFile(file, 'here\n');
    expect(await texts(t)).toEqual(['here']);
    await t.close();
  });
});
