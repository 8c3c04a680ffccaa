import { clusterPaths } from '../core/paths.js';
import type { ComponentPlan } from './components.js';
import { readJson } from './state.js';
import type { SupervisorPlan } from './supervisor-plan.js';

/** Where a running cluster's engines and services answer, for its services and for commands. */
export interface ClusterEndpoints {
  name: string;
  zones: string[];
  kafkaBrokers: string[];
  mysql: { host: string; port: number } | null;
  cassandra: string | null;
  elasticsearch: string | null;
  origin: string | null;
  /** the Zipkin server (API and UI), null when the cluster traces nothing */
  zipkin: string | null;
  /** the Prometheus server (API and UI), null when the cluster scrapes nothing */
  prometheus: string | null;
  edges: Array<{ name: string; zone: string; url: string }>;
  memcached: Array<{ name: string; zone: string; address: string }>;
  services: Array<{ name: string; service: string; zone: string | null; url: string }>;
}

export function endpointsFromPlan(name: string, components: ComponentPlan[]): ClusterEndpoints {
  const one = (engine: string) => components.find((c) => c.engine === engine) ?? null;
  const mysql = one('mysql');
  return {
    name,
    zones: [...new Set(components.map((c) => c.zone).filter((z): z is string => z !== null))],
    kafkaBrokers: components.filter((c) => c.engine === 'kafka').map((c) => c.endpoint),
    mysql: mysql ? { host: '127.0.0.1', port: mysql.ports.mysql as number } : null,
    cassandra: one('cassandra')?.endpoint ?? null,
    elasticsearch: one('elasticsearch')?.endpoint ?? null,
    origin: one('origin')?.endpoint ?? null,
    zipkin: one('zipkin')?.endpoint ?? null,
    prometheus: one('prometheus')?.endpoint ?? null,
    edges: components
      .filter((c) => c.engine === 'edge')
      .map((c) => ({ name: c.name, zone: c.zone as string, url: c.endpoint })),
    memcached: components
      .filter((c) => c.engine === 'memcached')
      .map((c) => ({ name: c.name, zone: c.zone as string, address: c.endpoint })),
    services: components
      .filter((c) => c.engine === 'service')
      .map((c) => ({ name: c.name, service: String(c.settings.service), zone: c.zone, url: c.endpoint })),
  };
}

export async function readPlan(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<SupervisorPlan | null> {
  return readJson<SupervisorPlan>(clusterPaths(name, env).plan);
}

/** The cluster's public entry point: the ELB in front of the gateways (null when it runs none). */
export function publicApiUrl(endpoints: ClusterEndpoints): string | null {
  return endpoints.services.find((s) => s.service === 'elb')?.url ?? null;
}
