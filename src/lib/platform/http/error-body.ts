/**
 * The one JSON error body of flix, written by every service, the gateway and the ELB, and read by
 * every client: `{ "error": { "status", "code", "message", ...extra } }`. `code` is a stable
 * machine-readable word (`unknown-title`, `rate-limited`); `message` says what happened to a person.
 */

export interface ErrorFields {
  status: number;
  code: string;
  message: string;
  [field: string]: unknown;
}

export interface ErrorBody {
  error: ErrorFields;
}

/** The error body; `extra` fields come first, so they never overwrite status, code or message. */
export function errorBody(
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
): ErrorBody {
  return { error: { ...extra, status, code, message } };
}

/**
 * The error of an answer's body — parsed JSON or its text — or null when the body is not an
 * error body (a proxy, an edge or a dying process may answer with anything).
 */
export function readErrorBody(body: unknown): ErrorFields | null {
  let value = body;
  if (typeof value === 'string' || Buffer.isBuffer(value)) {
    try {
      value = JSON.parse(value.toString());
    } catch {
      return null;
    }
  }
  if (typeof value !== 'object' || value === null || !('error' in value)) return null;
  const e = (value as { error: unknown }).error;
  if (typeof e !== 'object' || e === null) return null;
  const f = e as Record<string, unknown>;
  return {
    ...f,
    status: typeof f.status === 'number' ? f.status : 0,
    code: typeof f.code === 'string' ? f.code : 'unknown',
    message: typeof f.message === 'string' ? f.message : '',
  };
}
