import { describe, expect, it } from 'vitest';
import type { ClusterEndpoints } from '../../cluster/endpoints.js';
import { answerHeaders, forwardHeaders, gatewayTargets, isAdminPath } from './targets.js';

const endpoints = {
  name: 'x',
  zones: ['a', 'b'],
  services: [
    { name: 'gateway-b-1', service: 'gateway', zone: 'b', url: 'http://127.0.0.1:4002' },
    { name: 'gateway-a-1', service: 'gateway', zone: 'a', url: 'http://127.0.0.1:4001' },
    { name: 'gateway-a-2', service: 'gateway', zone: 'a', url: 'http://127.0.0.1:4003' },
    { name: 'catalog-a-1', service: 'catalog', zone: 'a', url: 'http://127.0.0.1:4100' },
  ],
} as ClusterEndpoints;

describe('gatewayTargets', () => {
  it('takes the gateways only, grouped by zone in the cluster zone order', () => {
    const { targets, zones } = gatewayTargets(endpoints);
    expect(targets.map((t) => t.id)).toEqual(['gateway-b-1', 'gateway-a-1', 'gateway-a-2']);
    expect(targets[0]).toMatchObject({ host: '127.0.0.1', port: 4002, zone: 'b' });
    expect(zones).toEqual([
      { name: 'a', instances: ['gateway-a-1', 'gateway-a-2'] },
      { name: 'b', instances: ['gateway-b-1'] },
    ]);
  });
});

describe('isAdminPath', () => {
  it('catches /_admin however it is spelled', () => {
    for (const p of [
      '/_admin',
      '/_admin/filters',
      '/_ADMIN/x',
      '//_admin',
      '/%5Fadmin/filters',
      '/_admin?x=1',
      '\\_admin',
    ]) {
      expect(isAdminPath(p), p).toBe(true);
    }
    for (const p of ['/api/health', '/api/_admin', '/admin', '/%E0%A4%A'])
      expect(isAdminPath(p), p).toBe(false);
  });
});

describe('headers', () => {
  it('drops hop-by-hop headers, appends the client address and names the zone', () => {
    const out = forwardHeaders(
      {
        host: 'elb',
        connection: 'keep-alive',
        'keep-alive': 'timeout=5',
        'x-forwarded-for': '1.2.3.4',
        accept: 'a',
      },
      '10.0.0.1',
      'a',
    );
    expect(out).toEqual({
      host: 'elb',
      accept: 'a',
      'x-forwarded-for': '1.2.3.4, 10.0.0.1',
      'x-flix-elb-zone': 'a',
    });
    expect(answerHeaders({ connection: 'close', 'content-type': 'x' }, 'b')).toEqual({
      'content-type': 'x',
      'x-flix-elb-zone': 'b',
    });
  });
});
