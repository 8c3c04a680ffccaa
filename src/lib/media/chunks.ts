/**
 * Splitting a title into chunks that workers encode in parallel.
 *
 * Every chunk starts on a segment boundary (a multiple of the segment length, which is one GOP),
 * and every chunk but the last lasts a whole number of segments. Each chunk's encode starts with an
 * IDR frame and has one every GOP, so once the chunks are concatenated there is a keyframe exactly
 * where each segment starts. A tail shorter than half a segment joins the chunk before it rather
 * than become a tiny job of its own.
 */
export interface Chunk {
  index: number;
  startSeconds: number;
  /** the last chunk runs to the end of the title: shorter, or longer by less than half a segment */
  durationSeconds: number;
}

export interface ChunkOptions {
  /** the ladder's exact segment length (one GOP) */
  segmentSeconds: number;
  /** a whole number of segments; default: 2 segments, more for long titles (at most `maxChunks`) */
  chunkSeconds?: number;
  /** upper bound on the number of chunks when `chunkSeconds` is not given, default 100 */
  maxChunks?: number;
}

/** Plan the chunks of a title lasting `durationSeconds`. Pure. */
export function planChunks(durationSeconds: number, opts: ChunkOptions): Chunk[] {
  const seg = opts.segmentSeconds;
  if (!(seg > 0)) throw new Error(`segmentSeconds must be positive, got ${seg}`);
  if (!(durationSeconds > 0)) throw new Error(`durationSeconds must be positive, got ${durationSeconds}`);
  const totalSegments = durationSeconds / seg;
  let perChunk: number;
  if (opts.chunkSeconds !== undefined) {
    perChunk = Math.round(opts.chunkSeconds / seg);
    if (perChunk < 1 || Math.abs(perChunk * seg - opts.chunkSeconds) > 1e-6) {
      throw new Error(`chunkSeconds (${opts.chunkSeconds}) must be a whole number of segments of ${seg} s`);
    }
  } else {
    perChunk = Math.max(2, Math.ceil(totalSegments / (opts.maxChunks ?? 100)));
  }
  const chunkSeconds = perChunk * seg;
  // count whole chunks; a tail shorter than half a segment joins the last whole chunk
  let count = Math.max(1, Math.floor(durationSeconds / chunkSeconds + 1e-9));
  const tail = durationSeconds - count * chunkSeconds;
  if (tail >= seg / 2 - 1e-9) count += 1;
  const chunks: Chunk[] = [];
  for (let index = 0; index < count; index++) {
    const startSeconds = index * chunkSeconds;
    const last = index === count - 1;
    chunks.push({
      index,
      startSeconds,
      durationSeconds: last ? durationSeconds - startSeconds : chunkSeconds,
    });
  }
  return chunks;
}
