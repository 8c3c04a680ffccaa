import { errorBody } from '../../platform/http/error-body.js';

/**
 * The JSON error bodies the gateway answers with. Every refusal — bad request, auth, missing
 * route, rate limit, legal block, a broken filter, overload — has the same shape, so clients and
 * dashboards can parse one format: `{ "error": { "status", "code", "message", ... } }`.
 */

/** The statuses the gateway itself produces (upstream statuses pass through untouched). */
export const GATEWAY_ERROR_STATUSES = [400, 401, 403, 404, 413, 429, 451, 500, 503] as const;
export type GatewayErrorStatus = (typeof GATEWAY_ERROR_STATUSES)[number];

/** A response the gateway sends itself, without calling an upstream. */
export interface GatewayResponse {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: string;
}

/** Extra fields of an error body; `retryAfterSeconds` also sets `Retry-After` on a 429 or 503. */
export interface JsonErrorExtra {
  retryAfterSeconds?: number;
  [field: string]: unknown;
}

/** The parsed form of a gateway error body. */
export interface JsonErrorBody {
  error: { status: GatewayErrorStatus; code: string; message: string } & Record<string, unknown>;
}

/**
 * Builds the gateway's JSON error response. A 429 always carries `Retry-After` (whole seconds,
 * at least 1, default 1); a 503 carries it when `retryAfterSeconds` is given.
 */
export function jsonError(
  status: GatewayErrorStatus,
  code: string,
  message: string,
  extra: JsonErrorExtra = {},
): GatewayResponse {
  if (!(GATEWAY_ERROR_STATUSES as readonly number[]).includes(status)) {
    throw new RangeError(
      `jsonError status must be one of ${GATEWAY_ERROR_STATUSES.join(', ')}, not ${status}`,
    );
  }
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  };
  let fields: JsonErrorExtra = extra;
  if (status === 429 || (status === 503 && extra.retryAfterSeconds !== undefined)) {
    const retryAfterSeconds = Math.max(1, Math.ceil(extra.retryAfterSeconds ?? 1));
    headers['retry-after'] = String(retryAfterSeconds);
    fields = { ...extra, retryAfterSeconds };
  }
  const body = errorBody(status, code, message, fields) as JsonErrorBody;
  return { status, headers, body: JSON.stringify(body) };
}
