import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../lib/core/paths.js';

/**
 * Command ids from the folder layout: src/commands/chaos/kill-zone.ts is `chaos:kill-zone`, and a
 * topic's index.ts is the topic itself (src/commands/distribute/index.ts is `distribute`).
 */
function commandIds(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return commandIds(p);
    if (!e.name.endsWith('.ts') || e.name.endsWith('.test.ts')) return [];
    return [
      relative(join(packageRoot, 'src', 'commands'), p)
        .replace(/\.ts$/, '')
        .replace(/\/index$/, '')
        .split('/')
        .join(':'),
    ];
  });
}

describe('oclif.manifest.json', () => {
  it('is in step with src/commands (run `npm run build` to regenerate it)', () => {
    const manifest = JSON.parse(readFileSync(join(packageRoot, 'oclif.manifest.json'), 'utf8'));
    expect(Object.keys(manifest.commands).sort()).toEqual(
      commandIds(join(packageRoot, 'src', 'commands')).sort(),
    );
  });

  it('gives every visible command a summary and examples', () => {
    const manifest = JSON.parse(readFileSync(join(packageRoot, 'oclif.manifest.json'), 'utf8'));
    for (const [id, cmd] of Object.entries<{ hidden?: boolean; summary?: string; examples?: string[] }>(
      manifest.commands,
    )) {
      if (cmd.hidden) continue;
      expect(cmd.summary, id).toBeTruthy();
      expect(cmd.examples?.length, id).toBeGreaterThan(0);
    }
  });
});
