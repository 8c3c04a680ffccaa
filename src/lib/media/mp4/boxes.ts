/**
 * ISO base media file format (MP4, CMAF) boxes: a reader for the boxes flix's packages are made
 * of, so the manifests can be written from what the media really holds and checked against it —
 * never from a muxer's own idea of the timeline. Pure; works on Buffers.
 */

export interface Box {
  type: string;
  /** offset of the box in the buffer it was read from */
  start: number;
  /** header size: 8, 16 (64-bit size) or more (uuid) */
  headerSize: number;
  size: number;
  /** the payload (after the header) */
  data: Buffer;
}

/** The boxes that hold only other boxes (the ones flix reads into). */
const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'mvex', 'moof', 'traf', 'edts', 'dinf']);

/** The boxes at the top of `buf` (or inside `parent`), in order. Throws on a truncated box. */
export function readBoxes(buf: Buffer, parent?: Box): Box[] {
  const base = parent ? parent.data : buf;
  const offset0 = parent ? parent.start + parent.headerSize : 0;
  const out: Box[] = [];
  let pos = 0;
  while (pos < base.length) {
    if (base.length - pos < 8)
      throw new Error(`a box at byte ${offset0 + pos} is cut off (${base.length - pos} bytes)`);
    let size = base.readUInt32BE(pos);
    const type = base.toString('latin1', pos + 4, pos + 8);
    let headerSize = 8;
    if (size === 1) {
      if (base.length - pos < 16) throw new Error(`the ${type} box at byte ${offset0 + pos} is cut off`);
      size = Number(base.readBigUInt64BE(pos + 8));
      headerSize = 16;
    } else if (size === 0) {
      size = base.length - pos;
    }
    if (type === 'uuid') headerSize += 16;
    if (size < headerSize || pos + size > base.length) {
      throw new Error(
        `the ${type} box at byte ${offset0 + pos} claims ${size} bytes; ${base.length - pos} are left`,
      );
    }
    out.push({
      type,
      start: offset0 + pos,
      headerSize,
      size,
      data: base.subarray(pos + headerSize, pos + size),
    });
    pos += size;
  }
  return out;
}

/** The first box of `type` among `boxes`, or null. */
export function find(boxes: Box[], type: string): Box | null {
  return boxes.find((b) => b.type === type) ?? null;
}

/** The box at a path of types (`['moov', 'trak', 'mdia', 'mdhd']`) from the top of `buf`, or null. */
export function findPath(buf: Buffer, path: readonly string[]): Box | null {
  let boxes = readBoxes(buf);
  let box: Box | null = null;
  for (const [i, type] of path.entries()) {
    box = find(boxes, type);
    if (!box) return null;
    if (i < path.length - 1) {
      if (!CONTAINERS.has(box.type)) throw new Error(`${box.type} is not a container box`);
      boxes = readBoxes(buf, box);
    }
  }
  return box;
}

/** Every box of `type` inside `parent` (one level). */
export function children(buf: Buffer, parent: Box, type?: string): Box[] {
  const all = readBoxes(buf, parent);
  return type ? all.filter((b) => b.type === type) : all;
}

/** A full box's version and flags, and its payload after them. */
export function fullBox(box: Box): { version: number; flags: number; body: Buffer } {
  return { version: box.data[0] ?? 0, flags: box.data.readUIntBE(1, 3), body: box.data.subarray(4) };
}

/** A box of `type` around `payload` (32-bit size). */
export function makeBox(type: string, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + payload.length, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, payload]);
}

/** A file or segment type box (`ftyp`, `styp`): a major brand, a minor version and compatible brands. */
export function brandsBox(
  type: 'ftyp' | 'styp',
  major: string,
  minor: number,
  compatible: readonly string[],
): Buffer {
  const payload = Buffer.alloc(8 + 4 * compatible.length);
  payload.write(major, 0, 'latin1');
  payload.writeUInt32BE(minor, 4);
  compatible.forEach((b, i) => {
    payload.write(b, 8 + 4 * i, 'latin1');
  });
  return makeBox(type, payload);
}

/** The brands of an `ftyp` or `styp` box. */
export function readBrands(box: Box): { major: string; minor: number; compatible: string[] } {
  const compatible: string[] = [];
  for (let i = 8; i + 4 <= box.data.length; i += 4) compatible.push(box.data.toString('latin1', i, i + 4));
  return { major: box.data.toString('latin1', 0, 4), minor: box.data.readUInt32BE(4), compatible };
}
