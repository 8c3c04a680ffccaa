import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { flix, repoRoot, waitFor } from './helpers/cli.js';
import { type Component, createUser, endpointOf, SHARED_CLUSTER, status, unique } from './helpers/cluster.js';
import { viewerApi } from './helpers/http.js';

/**
 * Metrics on the shared cluster: the supervisor's Prometheus scrapes every component that serves
 * /metrics, a viewer's requests show up in its series, and `flix top` draws them — on a terminal
 * (a pseudo-terminal here, 80×24) and as a plain summary — with a breaker opened when its
 * dependency stops answering.
 */
const name = SHARED_CLUSTER;

interface Target {
  labels: Record<string, string>;
  health: string;
  scrapeUrl: string;
  lastError: string;
}

async function promQuery(
  promql: string,
): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const prometheus = await endpointOf('prometheus');
  const r = await fetch(`${prometheus}/api/v1/query?${new URLSearchParams({ query: promql })}`);
  const body = (await r.json()) as { status: string; data: { result: [] } };
  expect(body.status).toBe('success');
  return body.data.result;
}

/**
 * An operator's terminal environment: without the CI markers, under which ink draws only the last
 * frame when it exits (the live view is what is tested here).
 */
function terminalEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { TERM: 'xterm-256color' };
  for (const [k, v] of Object.entries(process.env))
    if (k !== 'CI' && k !== 'CONTINUOUS_INTEGRATION' && !k.startsWith('CI_') && k !== 'TERM') env[k] = v;
  return env;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: removing terminal escapes is the point
const strip = (text: string) => text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');

describe('metrics and flix top', () => {
  it('has every component of the cluster as a target that is up, labelled with its kind and zone', async () => {
    const components = await status();
    expect(components.length).toBeGreaterThan(30);
    const prometheus = await endpointOf('prometheus');
    const targets = await waitFor(
      'every target up in Prometheus',
      async () => {
        const r = await fetch(`${prometheus}/api/v1/targets?state=active`);
        const all = ((await r.json()) as { data: { activeTargets: Target[] } }).data.activeTargets;
        const up = new Set(all.filter((t) => t.health === 'up').map((t) => t.labels.component));
        return components.every((c) => up.has(c.name)) && all;
      },
      60_000,
    );
    expect(new Set(targets.map((t) => t.labels.component))).toEqual(new Set(components.map((c) => c.name)));
    const gateway = targets.find((t) => t.labels.component === 'gateway-b-1');
    expect(gateway?.labels).toMatchObject({ kind: 'gateway', zone: 'b' });
    expect(gateway?.scrapeUrl).toMatch(/\/metrics$/);
    // an engine without an endpoint of its own is read by the log agent, under its own name
    const memcached = targets.find((t) => t.labels.component === 'memcached-b');
    expect(memcached?.labels).toMatchObject({ kind: 'memcached', zone: 'b' });
    expect(memcached?.scrapeUrl).toMatch(/\/metrics\/engine\/memcached-b$/);
  });

  it("has the engines' own numbers: MariaDB, Elasticsearch, Cassandra, Kafka, memcached, the edges, the origin", async () => {
    const series = {
      mysql: 'mysql_global_status_questions',
      elasticsearch: 'elasticsearch_cluster_health_status{color="red"}',
      cassandra: 'cassandra_thread_pool_completed_tasks{pool="Native-Transport-Requests"}',
      kafka: 'kafka_topic_partition_current_offset',
      'memcached-a': 'memcached_limit_bytes',
      'edge-a': 'nginx_http_requests_total',
      origin: 's3_origin_head_bucket_seconds',
    };
    for (const [component, metric] of Object.entries(series)) {
      const found = await waitFor(
        `${metric} of ${component}`,
        async () => {
          const r = await promQuery(
            metric.replace(/(\{|$)/, (m) =>
              m === '{' ? `{component="${component}",` : `{component="${component}"}`,
            ),
          );
          return r.length > 0 && r;
        },
        30_000,
      );
      expect(found[0]?.metric.kind, component).toBe(component.replace(/-[ab]$/, ''));
    }
    // the numbers are the engine's own: MariaDB has answered statements, and the index is not red
    expect(Number((await promQuery('mysql_global_status_questions'))[0]?.value[1])).toBeGreaterThan(0);
    expect((await promQuery('elasticsearch_cluster_health_status{color="red"}'))[0]?.value[1]).toBe('0');
  });

  it("counts a viewer's requests per route and status, and `flix top --json` reports them", async () => {
    const user = unique('metrics-viewer');
    const token = await createUser(user);
    const elb = await endpointOf('elb-1');
    const route = 'flix_http_requests_total{kind="gateway",route="recommendations",status="200"}';
    const before = Number((await promQuery(`sum(${route})`))[0]?.value[1] ?? 0);
    for (let i = 0; i < 5; i++)
      expect((await viewerApi(elb, 'GET', '/api/recommendations', token)).status).toBe(200);
    await waitFor(
      'the five requests in Prometheus',
      async () => Number((await promQuery(`sum(${route})`))[0]?.value[1] ?? 0) >= before + 5,
      30_000,
    );
    // a rate needs two scrapes of a series: a new route's first count is its start, not traffic
    const top = await waitFor(
      'the gateway with traffic in `flix top --json`',
      async () => {
        await viewerApi(elb, 'GET', '/api/recommendations', token);
        const r = await flix(['top', '--name', name, '--json']);
        expect(r.exitCode, r.stderr).toBe(0);
        const g = r.json.services.find((s: { service: string }) => s.service === 'gateway');
        return g?.rps > 0 && r.json;
      },
      60_000,
    );
    const gateway = top.services.find((s: { service: string }) => s.service === 'gateway');
    expect(gateway).toMatchObject({ instances: 2, up: 2 });
    expect(gateway.errorPct).toBeLessThan(100);
    expect(gateway.p99Ms).toBeGreaterThan(0);
    expect(top.edges.map((e: { edge: string }) => e.edge)).toEqual(['edge-a', 'edge-b']);
  });

  it('`flix top` on a terminal shows the gateway breaker to recommendations open while they hang, and q quits', async () => {
    const user = unique('metrics-breaker');
    const token = await createUser(user);
    const elb = await endpointOf('elb-1');
    const recs = (await status()).filter((c: Component) => c.name.startsWith('recommendations-'));
    const freeze = (on: boolean) => {
      for (const c of recs) process.kill(-c.pid, on ? 'SIGSTOP' : 'SIGCONT');
    };
    // a pseudo-terminal of 80×24 for the live view, as an operator's terminal would be
    const top = execa(
      'script',
      [
        '-qfec',
        `stty cols 80 rows 24; exec node ${repoRoot}/bin/run.js top --name ${name} --interval 1s`,
        '/dev/null',
      ],
      { stdin: 'pipe', reject: false, extendEnv: false, env: terminalEnv() },
    );
    let screen = '';
    top.stdout?.on('data', (d: Buffer) => {
      screen += d.toString();
    });
    freeze(true);
    let asking = true;
    // requests keep coming while it hangs, as viewers' would: each one the breaker refuses
    const traffic = (async () => {
      while (asking) {
        const r = await viewerApi(elb, 'GET', '/api/recommendations', token);
        expect(r.status).toBe(200);
        expect(r.headers['x-flix-fallback']).toBe('recommendations');
      }
    })();
    let trafficFailed: unknown = null;
    try {
      await waitFor(
        'the open breaker on the live view',
        async () => {
          if (top.exitCode !== undefined && top.exitCode !== null)
            throw new Error(`flix top ended: ${strip(screen).slice(-500)}`);
          return /gateway→recom\S*\s+OPEN/.test(strip(screen));
        },
        60_000,
      );
      const frame = strip(screen);
      expect(frame).toContain('SERVICE');
      expect(frame).toContain('EVCACHE');
      // the plain summary says the same, and names the recommendations Prometheus cannot scrape
      const plain = await waitFor(
        'the plain summary with the frozen components',
        async () => {
          const r = await flix(['top', '--name', name, '--once']);
          return r.exitCode === 0 && /DOWN .*recommendations-a-1 not scraped/.test(r.stdout) && r.stdout;
        },
        60_000,
      );
      expect(plain).toMatch(/gateway→recom\S*\s+OPEN/);
      for (const line of plain.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    } finally {
      asking = false;
      // the last request ends before they are woken, so every answer was made while they hung
      trafficFailed = await traffic.then(
        () => null,
        (e: unknown) => e,
      );
      freeze(false);
      // the dashboard ends with the test whatever happened
      if (top.exitCode === undefined || top.exitCode === null) top.stdin?.write('q');
    }
    if (trafficFailed) throw trafficFailed;
    const done = await top;
    expect(done.exitCode, strip(screen).slice(-2000)).toBe(0);
    await waitFor(
      'recommendations served again',
      async () => (await viewerApi(elb, 'GET', '/api/recommendations', token)).json?.degraded === false,
      30_000,
    );
  });

  it('refuses --interval out of range and a cluster that is not running, with what to do', async () => {
    const bad = await flix(['top', '--name', name, '--interval', '0.1s']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/interval/);
    const none = await flix(['top', '--name', 'no-such-cluster-ü', '--once']);
    expect(none.exitCode).toBe(7);
    expect(none.stderr).toMatch(/flix up/);
  });
});
