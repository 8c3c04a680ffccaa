import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { flix, groupAlive } from './helpers/cli.js';

/** What a user sees when something is wrong: a clear message, a distinct exit code, nothing left running. */
const dir = mkdtempSync(join(tmpdir(), 'flix-failures-'));
const clusterFile = (name: string, yaml: string) => {
  const f = join(dir, `${name}.yaml`);
  writeFileSync(f, yaml);
  return f;
};
const names: string[] = [];
const uniqueName = (tag: string) => {
  const n = `ftest-${tag}-${process.pid}`;
  names.push(n);
  return n;
};

const onlyCaches = (extra = '') => `zones: [a, b]
services: { enabled: false }
engines:
  kafka: { enabled: false }
  cassandra: { enabled: false }
  elasticsearch: { enabled: false }
  mysql: { enabled: false }
  origin: { enabled: false }
  edge: { enabled: false }
${extra}`;

describe('failure behaviour', () => {
  afterAll(async () => {
    for (const n of names) await flix(['down', '--name', n, '--purge']);
  });

  it('a malformed cluster file: exit 3, naming the file and the field', async () => {
    const f = clusterFile('bad', 'zones: [a]\nengines:\n  kafka:\n    heap: huge\n');
    const r = await flix(['up', '--cluster', f, '--name', uniqueName('bad')]);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain(`${f}: engines.kafka.heap: must be a size like 256m or 1g`);
  });

  it('a YAML syntax error: exit 3 with line and column', async () => {
    const f = clusterFile('syntax', 'zones: [a\n');
    const r = await flix(['up', '--cluster', f, '--name', uniqueName('syntax')]);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/not valid YAML \(line \d+, column \d+\)/);
  });

  it('a busy pinned port: exit 5, naming the component and the port, nothing started', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as { port: number }).port;
    try {
      const n = uniqueName('busy');
      const f = clusterFile('busy', onlyCaches(`  memcached: { ports: { memcached: ${port} } }`));
      const r = await flix(['up', '--cluster', f, '--name', n]);
      expect(r.exitCode).toBe(5);
      expect(r.stderr).toContain(`port ${port} (memcached-a memcached) is already in use`);
      expect((await flix(['status', '--name', n])).exitCode).toBe(7);
    } finally {
      server.close();
    }
  });

  it('missing engines: exit 4 and the command that installs them', async () => {
    const emptyHome = mkdtempSync(join(tmpdir(), 'flix-empty-home-'));
    const r = await flix(['up', '--cluster', 'ci', '--name', uniqueName('missing')], {
      env: { ...process.env, FLIX_HOME: emptyHome },
    });
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toContain('engines not installed: kafka');
    expect(r.stderr).toContain('flix setup --yes');
  });

  it('a component that never gets healthy: exit 8 with its name and log, and what had started is stopped', async () => {
    const n = uniqueName('slow');
    // Cassandra cannot be healthy within 5 s on this machine: its start must fail, and the
    // memcached nodes started beside it must be stopped again
    const f = clusterFile(
      'slow',
      `zones: [a, b]
timeouts: { startSeconds: 5, stopSeconds: 5 }
services: { enabled: false }
engines:
  kafka: { enabled: false }
  cassandra: { enabled: true, heap: 256m }
  elasticsearch: { enabled: false }
  mysql: { enabled: false }
  origin: { enabled: false }
  edge: { enabled: false }
`,
    );
    const r = await flix(['up', '--cluster', f, '--name', n]);
    expect(r.exitCode).toBe(8);
    expect(r.stderr).toContain('cassandra failed to start: cassandra did not become healthy within 5s');
    expect(r.stderr).toMatch(/last lines of .*cassandra\.log/);
    expect(r.stderr).toContain('Everything already started has been stopped.');
    const state = JSON.parse(
      readFileSync(
        join(process.env.FLIX_HOME ?? join(process.env.HOME as string, '.flix'), 'clusters', n, 'state.json'),
        'utf8',
      ),
    );
    expect(state.phase).toBe('failed');
    for (const c of state.components) expect(c.pid === null || !groupAlive(c.pid), c.name).toBe(true);
    const memcachedA = state.components.find((c: { name: string }) => c.name === 'memcached-a');
    expect(memcachedA.state).toBe('stopped');
  });

  it('up, status and down of a small cluster; down of a stopped cluster exits 7', async () => {
    const n = uniqueName('small');
    const f = clusterFile('small', onlyCaches());
    const up = await flix(['up', '--cluster', f, '--name', n, '--json']);
    expect(up.exitCode).toBe(0);
    expect(up.json.components.map((c: { name: string }) => c.name)).toEqual(['memcached-a', 'memcached-b']);
    const st = await flix(['status', '--name', n]);
    expect(st.exitCode).toBe(0);
    expect(st.stdout).toMatch(/memcached-b\s+cache\s+b\s+healthy/);
    expect((await flix(['down', '--name', n])).exitCode).toBe(0);
    const again = await flix(['down', '--name', n]);
    expect(again.exitCode).toBe(7);
    expect(again.stderr).toContain('is not running');
  });

  it('a supervisor that died leaves components that `down` still finds and stops', async () => {
    const n = uniqueName('orphans');
    const f = clusterFile('orphans', onlyCaches());
    const up = await flix(['up', '--cluster', f, '--name', n, '--json']);
    expect(up.exitCode).toBe(0);
    const st = (await flix(['status', '--name', n, '--json'])).json;
    process.kill(st.supervisorPid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    const again = await flix(['up', '--cluster', f, '--name', n]);
    expect(again.exitCode).toBe(6);
    expect(again.stderr).toContain('still running without a supervisor');
    const down = await flix(['down', '--name', n, '--json']);
    expect(down.exitCode).toBe(0);
    expect(down.json.orphansStopped.sort()).toEqual(['memcached-a', 'memcached-b']);
    for (const c of st.components) expect(groupAlive(c.pid), c.name).toBe(false);
  });
});
