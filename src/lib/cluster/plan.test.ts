import { describe, expect, it } from 'vitest';
import { clusterPaths } from '../core/paths.js';
import { parseClusterDefinition } from './definition.js';
import { planCluster, portRequests } from './plan.js';

describe('cluster plan', () => {
  const def = parseClusterDefinition(
    // without Elasticsearch a cluster runs no search service and no log collector (or refuses to
    // plan: see below); no Zipkin either, to keep the list short
    'zones: [a, b]\nservices:\n  search: { perZone: 0 }\n  log-collector: { instances: 0 }\nengines:\n  elasticsearch: { enabled: false }\n  zipkin: { enabled: false }\n  edge: { ports: { http: 8080 } }',
    'x.yaml',
  );

  it('makes one component per engine and one per zone for memcached and edges', () => {
    const names = [...new Set(portRequests(def).map((r) => r.component))];
    expect(names).toEqual([
      'kafka',
      'cassandra',
      'mysql',
      'memcached-a',
      'memcached-b',
      'origin',
      'edge-a',
      'edge-b',
      'prometheus',
      'orchestrator-1',
      'transcoder-a-1',
      'transcoder-b-1',
      'distribution-1',
      'discovery-a-1',
      'discovery-b-1',
      'users-a-1',
      'users-b-1',
      'catalog-a-1',
      'catalog-b-1',
      'playback-a-1',
      'playback-b-1',
      'steering-a-1',
      'steering-b-1',
      'recommendations-a-1',
      'recommendations-b-1',
      'stats-a-1',
      'stats-b-1',
      'comments-a-1',
      'comments-b-1',
      'history-a-1',
      'history-b-1',
      'uploads-a-1',
      'uploads-b-1',
      'gateway-a-1',
      'gateway-b-1',
      'elb-1',
      'log-agent-1',
    ]);
  });

  it('runs neither the log agent nor the collector when observability is off', () => {
    const quiet = parseClusterDefinition('zones: [a]\nobservability: { enabled: false }', 'x.yaml');
    const names = portRequests(quiet).map((r) => r.component);
    expect(names).toContain('gateway-a-1');
    expect(names.filter((n) => n.startsWith('log-') || n === 'zipkin' || n === 'prometheus')).toEqual([]);
  });

  it('runs no Zipkin or Prometheus in a cluster without services: nothing would send a span or answer a scrape', () => {
    const engines = parseClusterDefinition('zones: [a]\nservices: { enabled: false }', 'x.yaml');
    const names = portRequests(engines).map((r) => r.component);
    expect(names).toContain('memcached-a');
    expect(names).not.toContain('zipkin');
    expect(names).not.toContain('prometheus');
  });

  it('sends the spans of the request-serving services to Zipkin', () => {
    const full = parseClusterDefinition('zones: [a]\nobservability: { traceSampling: 0.25 }', 'x.yaml');
    const names = [...new Set(portRequests(full).map((r) => r.component))];
    const ports = Object.fromEntries(
      names.map((c, i) => [
        c,
        Object.fromEntries(
          ['http', 'transport', 'broker', 'controller', 'native', 'storage', 'jmx', 'mysql', 'memcached'].map(
            (p, j) => [p, 20000 + i * 10 + j],
          ),
        ),
      ]),
    );
    const plan = planCluster(full, ports, clusterPaths('t'));
    const byName = new Map(plan.map((c) => [c.name, c]));
    const zipkin = byName.get('zipkin');
    expect(zipkin?.settings.maxSpans).toBe(100_000);
    expect(byName.get('gateway-a-1')?.settings).toMatchObject({
      zipkin: zipkin?.endpoint,
      traceSampling: 0.25,
      traceRoots: 1,
    });
    // a service behind the gateway traces only what a caller traced
    expect(byName.get('playback-a-1')?.settings).toMatchObject({ zipkin: zipkin?.endpoint, traceRoots: 0 });
    expect(byName.get('log-agent-1')?.settings.zipkin).toBeUndefined();
  });

  it('runs no service at all when services.enabled is false', () => {
    const enginesOnly = parseClusterDefinition('zones: [a]\nservices: { enabled: false }', 'x.yaml');
    const names = portRequests(enginesOnly).map((r) => r.component);
    expect(names).toContain('kafka');
    expect(names.filter((n) => /-\d+$/.test(n))).toEqual([]);
  });

  it('places canary instances in the first zone and starts control-plane services after discovery', () => {
    const withCanary = parseClusterDefinition('zones: [a, b]\nservices:\n  catalog: { canary: 1 }', 'x.yaml');
    const plan = planCluster(withCanary, {}, clusterPaths('t', { FLIX_HOME: '/h' }));
    expect(plan.find((c) => c.name === 'catalog-canary-1')).toMatchObject({
      zone: 'a',
      settings: { service: 'catalog', canary: 1 },
    });
    expect(plan.find((c) => c.name === 'catalog-b-1')?.dependsOn).toEqual([
      'mysql',
      'memcached-a',
      'memcached-b',
      'origin', // a deleted title's objects go with it
      'kafka', // title events feed search
      'discovery-a-1',
      'discovery-b-1',
    ]);
    expect(plan.find((c) => c.name === 'elb-1')?.dependsOn).toEqual(['gateway-a-1', 'gateway-b-1']);
  });

  it('starts services after the engines they need, with per-zone workers', () => {
    const plan = planCluster(def, {}, clusterPaths('t', { FLIX_HOME: '/h' }));
    expect(plan.find((c) => c.name === 'orchestrator-1')).toMatchObject({
      role: 'service',
      engine: 'service',
      zone: null,
      dependsOn: ['kafka', 'mysql', 'origin'],
      settings: { service: 'orchestrator', instances: 1 },
    });
    expect(plan.find((c) => c.name === 'transcoder-b-1')).toMatchObject({
      zone: 'b',
      dependsOn: ['kafka', 'origin'],
    });
  });

  it('refuses a service whose engine is disabled, and says how to fix it', () => {
    const noKafka = parseClusterDefinition('zones: [a]\nengines:\n  kafka: { enabled: false }', 'x.yaml');
    expect(() => planCluster(noKafka, {}, clusterPaths('t', { FLIX_HOME: '/h' }))).toThrow(
      'service orchestrator needs kafka, which is disabled in the cluster file',
    );
  });

  it('pins per-zone ports upward from zone a', () => {
    const edge = portRequests(def).filter((r) => r.component.startsWith('edge-'));
    expect(edge.map((r) => r.pinned)).toEqual([8080, 8081]);
  });

  it('wires edges to the origin, with endpoints, zones and per-component dirs', () => {
    const ports = Object.fromEntries(
      portRequests(def).map((r, i) => [r.component, { [r.port]: 31000 + i }]),
    ) as Record<string, Record<string, number>>;
    ports.kafka = { broker: 31000, controller: 31001 };
    ports.cassandra = { native: 31002, storage: 31003, jmx: 31004 };
    const plan = planCluster(def, ports, clusterPaths('t', { FLIX_HOME: '/h' }));
    const edgeB = plan.find((c) => c.name === 'edge-b');
    expect(edgeB).toMatchObject({
      role: 'edge',
      zone: 'b',
      dependsOn: ['origin'],
      endpoint: `http://127.0.0.1:${ports['edge-b']?.http}`,
      dataDir: '/h/clusters/t/data/edge-b',
      logFile: '/h/clusters/t/logs/edge-b.log',
    });
    expect(edgeB?.settings.originPort).toBe(ports.origin?.http);
    expect(plan.find((c) => c.name === 'kafka')).toMatchObject({
      zone: null,
      endpoint: '127.0.0.1:31000',
      dependsOn: [],
    });
  });
});
