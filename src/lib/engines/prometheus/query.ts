/** One series of an instant query's answer: its labels and its value now. */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** Why a query failed: Prometheus unreachable, or it refused the query (a PromQL error is a bug here). */
export class PrometheusError extends Error {
  constructor(
    message: string,
    readonly reachable: boolean,
  ) {
    super(message);
  }
}

/**
 * An instant query through Prometheus's HTTP API (`/api/v1/query`), the interface Prometheus
 * documents for its clients. Only vector answers are accepted: every query here aggregates series.
 */
export async function instantQuery(prometheus: string, promql: string, timeoutMs = 5000): Promise<Sample[]> {
  let res: Response;
  try {
    res = await fetch(`${prometheus}/api/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query: promql }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new PrometheusError(`Prometheus did not answer: ${(error as Error).message}`, false);
  }
  const body = (await res.json().catch(() => null)) as {
    status?: string;
    error?: string;
    data?: {
      resultType?: string;
      result?: Array<{ metric: Record<string, string>; value: [number, string] }>;
    };
  } | null;
  if (res.status !== 200 || body?.status !== 'success' || body.data?.resultType !== 'vector')
    throw new PrometheusError(
      `Prometheus refused \`${promql}\` (${res.status}): ${body?.error ?? 'not a vector'}`,
      res.status < 500,
    );
  return (body.data.result ?? []).map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
}
