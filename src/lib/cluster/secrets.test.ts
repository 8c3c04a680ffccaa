import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clusterSecrets, secretsFile } from './secrets.js';

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

describe('cluster secrets made by an older flix', () => {
  it('keep what they had and gain the newer secrets', async () => {
    const home = await mkdtemp(join(tmpdir(), 'flix-secrets-old-'));
    const env = { FLIX_HOME: home };
    try {
      const file = secretsFile('old', env);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, JSON.stringify({ edgeSigningKey: 'edge-key-1', tokenPepper: 'pepper-1' }), {
        mode: 0o600,
      });
      const s = await clusterSecrets('old', env);
      expect(s).toMatchObject({ edgeSigningKey: 'edge-key-1', tokenPepper: 'pepper-1' });
      expect(s.internalKey).toMatch(/^[A-Za-z0-9_-]{40,}$/);
      expect(s.originAccessKey).toMatch(/^FLIX[0-9A-F]{16}$/);
      expect(await clusterSecrets('old', env)).toEqual(s);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
