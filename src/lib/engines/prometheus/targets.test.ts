import { describe, expect, it } from 'vitest';
import type { ComponentPlan, ComponentStatus } from '../../cluster/components.js';
import { prometheusConfig } from './driver.js';
import { scrapeTargets, targetsFile } from './targets.js';

const status = (
  name: string,
  engine: ComponentStatus['engine'],
  state: ComponentStatus['state'],
  http?: number,
) =>
  ({
    name,
    engine,
    zone: name.endsWith('-a-1') ? 'a' : null,
    state,
    ports: http === undefined ? { broker: 9092 } : { http },
  }) as unknown as ComponentStatus;

describe('scrape targets', () => {
  const paths: Record<string, string> = { service: '/metrics', zipkin: '/prometheus' };
  const targets = (components: ComponentStatus[]) =>
    scrapeTargets(
      components,
      (c) => paths[c.engine],
      (c) => (c.engine === 'service' ? (c.name.split('-')[0] as string) : c.engine),
    );

  it('lists the components meant to run that serve metrics, each with its path and labels', () => {
    const groups = targets([
      status('kafka', 'kafka', 'healthy'),
      status('zipkin', 'zipkin', 'healthy', 9411),
      status('playback-a-1', 'service', 'healthy', 4001),
    ]);
    expect(groups).toEqual([
      {
        targets: ['127.0.0.1:9411'],
        labels: { __metrics_path__: '/prometheus', component: 'zipkin', zone: '', kind: 'zipkin' },
      },
      {
        targets: ['127.0.0.1:4001'],
        labels: { __metrics_path__: '/metrics', component: 'playback-a-1', zone: 'a', kind: 'playback' },
      },
    ]);
  });

  it('keeps a restarting or failed component (it shows as down) and drops one not started or stopped', () => {
    const names = (states: ComponentStatus['state'][]) =>
      targets(states.map((s, i) => status(`catalog-${i}`, 'service', s, 4000 + i))).map(
        (g) => g.labels.component,
      );
    expect(names(['pending', 'starting', 'healthy', 'restarting', 'failed', 'stopping', 'stopped'])).toEqual([
      'catalog-1',
      'catalog-2',
      'catalog-3',
      'catalog-4',
    ]);
  });

  it('scrapes an engine without an endpoint of its own at the agent that reads it, while the agent runs', () => {
    const agent = status('log-agent-1', 'service', 'healthy', 4100);
    const engines = [
      status('kafka', 'kafka', 'healthy'),
      status('memcached-a-1', 'memcached', 'restarting'),
      status('edge-b', 'edge', 'stopped'),
    ];
    const groups = scrapeTargets(
      [agent, ...engines],
      (c) => paths[c.engine],
      (c) => c.engine,
      'log-agent-1',
    );
    expect(groups.slice(1)).toEqual([
      {
        targets: ['127.0.0.1:4100'],
        labels: { __metrics_path__: '/metrics/engine/kafka', component: 'kafka', zone: '', kind: 'kafka' },
      },
      {
        targets: ['127.0.0.1:4100'],
        labels: {
          __metrics_path__: '/metrics/engine/memcached-a-1',
          component: 'memcached-a-1',
          zone: 'a',
          kind: 'memcached',
        },
      },
    ]);
    // no agent, no reader: the engines are not targets
    expect(
      scrapeTargets(
        engines,
        (c) => paths[c.engine],
        (c) => c.engine,
        'log-agent-1',
      ),
    ).toEqual([]);
  });

  it("is the file the server's config reads", () => {
    const c = {
      confDir: '/tmp/x/conf/prometheus',
      settings: { scrapeSeconds: 5 },
    } as unknown as ComponentPlan;
    const config = prometheusConfig(c);
    expect(config).toContain(`files: [${JSON.stringify(targetsFile(c.confDir))}]`);
    expect(config).toContain('scrape_interval: 5s');
  });
});
