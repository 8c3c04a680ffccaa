import type { ClusterEndpoints } from '../cluster/endpoints.js';
import { FlixError } from '../core/errors.js';
import { readErrorBody } from '../platform/http/error-body.js';
import type { FilterRow } from '../services/gateway/chain.js';
import { operatorCall } from './operator.js';

/** One gateway instance's chain as `flix gateway filters` shows it. */
export interface GatewayFilters {
  instance: string;
  zone: string | null;
  url: string;
  filters: FilterRow[] | null;
  /** why the gateway could not be read (it is down, say) */
  error?: string;
}

/**
 * Reads the filter chain of every gateway instance (GET /_admin/filters on each, directly: the
 * ELB refuses /_admin), after switching one filter on or off on all of them when asked.
 */
export async function gatewayFilters(
  endpoints: ClusterEndpoints,
  change?: { filter: string; enabled: boolean },
  timeoutMs = 3000,
): Promise<GatewayFilters[]> {
  const gateways = endpoints.services.filter((s) => s.service === 'gateway');
  if (gateways.length === 0) {
    throw new FlixError(`cluster '${endpoints.name}' runs no gateway`, {
      code: 'notRunning',
      nextStep: 'set services.gateway.perZone ≥ 1 in the cluster file and `flix up` again',
    });
  }
  if (change) {
    const answers = await Promise.all(
      gateways.map((g) =>
        operatorCall(endpoints.name, `${g.url}/_admin/filters/${encodeURIComponent(change.filter)}`, {
          method: 'POST',
          body: { enabled: change.enabled },
          signal: AbortSignal.timeout(timeoutMs),
        }).catch(() => null),
      ),
    );
    const unknown = answers
      .map((a) => (a?.status === 404 ? readErrorBody(a.body) : null))
      .find((e) => e?.code === 'unknown-filter');
    if (unknown) {
      const known = Array.isArray(unknown.known) ? unknown.known : [];
      throw new FlixError(`the gateway has no filter named '${change.filter}'`, {
        code: 'notFound',
        nextStep: `one of: ${known.join(', ')} (see \`flix gateway filters\`)`,
      });
    }
  }
  return Promise.all(
    gateways.map(async (g): Promise<GatewayFilters> => {
      const base = { instance: g.name, zone: g.zone, url: g.url };
      try {
        const r = await operatorCall<{ filters?: FilterRow[] }>(endpoints.name, `${g.url}/_admin/filters`, {
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (r.status !== 200 || !Array.isArray(r.body?.filters)) {
          return { ...base, filters: null, error: `answered ${r.status}` };
        }
        return { ...base, filters: r.body.filters };
      } catch (error) {
        return { ...base, filters: null, error: error instanceof Error ? error.message : String(error) };
      }
    }),
  );
}
