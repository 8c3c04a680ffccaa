import type { ClusterEndpoints } from '../../cluster/endpoints.js';
import type { ZoneSpec } from './balancing.js';

/** One gateway instance behind the ELB. */
export interface Target {
  id: string;
  zone: string;
  url: string;
  host: string;
  port: number;
}

/** The gateway instances of a cluster, grouped by zone in the cluster's zone order. */
export function gatewayTargets(endpoints: ClusterEndpoints): { targets: Target[]; zones: ZoneSpec[] } {
  const targets: Target[] = endpoints.services
    .filter((s) => s.service === 'gateway')
    .map((s) => {
      const u = new URL(s.url);
      return {
        id: s.name,
        zone: s.zone ?? 'default',
        url: s.url,
        host: u.hostname,
        port: Number(u.port || 80),
      };
    });
  const order = [...endpoints.zones, ...targets.map((t) => t.zone)];
  const zoneNames = [...new Set(order)].filter((z) => targets.some((t) => t.zone === z));
  return {
    targets,
    zones: zoneNames.map((name) => ({
      name,
      instances: targets.filter((t) => t.zone === name).map((t) => t.id),
    })),
  };
}

/**
 * True for the gateway's admin paths (`/_admin*`), however they are spelled: percent-encoded,
 * with doubled slashes or in capitals. The ELB never forwards them.
 */
export function isAdminPath(url: string): boolean {
  const q = url.indexOf('?');
  let path = q < 0 ? url : url.slice(0, q);
  try {
    path = decodeURIComponent(path);
  } catch {
    // judge it as it is
  }
  path = path.replace(/[/\\]+/g, '/').toLowerCase();
  return path.startsWith('/_admin');
}

/** Headers that belong to one connection and are not forwarded (RFC 9110 §7.6.1). */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'upgrade',
]);

/**
 * Headers only the cluster itself may set: its internal token and the identity the gateway
 * passes on. A client that sends them gets them dropped, never believed.
 */
export function isClusterHeader(name: string): boolean {
  return name === 'x-flix-internal' || name.startsWith('x-flix-user-');
}

/**
 * The request headers sent to a gateway: hop-by-hop ones and the cluster's own dropped, the
 * client's address appended, and the ELB's internal token (`internal`) added.
 */
export function forwardHeaders(
  incoming: Readonly<Record<string, string | string[] | undefined>>,
  clientAddress: string | undefined,
  zone: string,
  internal: Record<string, string> = {},
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(incoming)) {
    if (v !== undefined && !HOP_BY_HOP.has(k) && !isClusterHeader(k)) out[k] = v;
  }
  Object.assign(out, internal);
  const xff = incoming['x-forwarded-for'];
  const prior = Array.isArray(xff) ? xff.join(', ') : xff;
  const addr = clientAddress ?? 'unknown';
  out['x-forwarded-for'] = prior ? `${prior}, ${addr}` : addr;
  out['x-flix-elb-zone'] = zone;
  return out;
}

/** The answer headers sent back to the client: hop-by-hop ones dropped, the zone added. */
export function answerHeaders(
  incoming: Readonly<Record<string, string | string[] | undefined>>,
  zone: string,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(incoming)) {
    if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  }
  out['x-flix-elb-zone'] = zone;
  return out;
}
