// @ts-check
// The benchmarks' source clips, made by fixtures/make-fixtures.sh bench (not committed: generated
// video, a few MB of H.264 and some 500 MB of ProRes).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './flix.mjs';

export const benchSource = join(root, 'fixtures', 'media', 'bench-1080p30.mp4');
/** What studios deliver: 20 s ProRes 422 HQ 10-bit 1080p23.976, 24-bit PCM 5.1, timecode. */
export const proresSource = join(root, 'fixtures', 'media', 'bench-prores-1080p.mov');
/** A short clip, much faster to ingest; make-fixtures.sh makes it with the test fixtures. */
export const shortSource = join(root, 'fixtures', 'media', 'good.mp4');

/**
 * Makes the benchmark fixtures (`bash fixtures/make-fixtures.sh bench`) when `source` is missing.
 * @param {string} source
 * @param {(line: string) => void} [log]
 */
export function ensureSource(source, log) {
  if (existsSync(source)) return;
  log?.('fixtures missing: bash fixtures/make-fixtures.sh bench');
  execFileSync('bash', [join(root, 'fixtures', 'make-fixtures.sh'), 'bench'], { stdio: 'inherit' });
}
