import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clusterSecrets } from './secrets.js';

describe('cluster secrets', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('makes them once: racing readers all get the same, complete secrets', async () => {
    const home = await mkdtemp(join(tmpdir(), 'flix-secrets-'));
    dirs.push(home);
    const env = { FLIX_HOME: home };
    const all = await Promise.all(Array.from({ length: 20 }, () => clusterSecrets('c1', env)));
    const first = all[0];
    expect(first?.edgeSigningKey).toMatch(/^[A-Za-z0-9_-]{32}$/);
    for (const s of all) expect(s).toEqual(first);
    expect(await clusterSecrets('c1', env)).toEqual(first);
    expect((await clusterSecrets('c2', env)).edgeSigningKey).not.toBe(first?.edgeSigningKey);
  });
});
