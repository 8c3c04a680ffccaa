// @ts-check
// The benchmarks' source clip: 30 s of 1080p30 testsrc2 + sine, made by fixtures/make-fixtures.sh
// (it is not committed: a few MB of generated video).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './flix.mjs';

export const benchSource = join(root, 'fixtures', 'media', 'bench-1080p30.mp4');
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
