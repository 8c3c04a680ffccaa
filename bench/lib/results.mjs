// @ts-check
// Every run's full numbers, as JSON under bench/results/ (git-ignored), for comparing runs later.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './flix.mjs';

/**
 * Writes bench/results/<stem>-<timestamp>.json and prints its path last on stdout.
 * @param {string} stem
 * @param {unknown} report
 */
export function writeResults(stem, report) {
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${stem}-${Date.now()}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nfull results: ${file}`);
  return file;
}
