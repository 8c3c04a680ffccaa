/**
 * Riding out an engine's restart. A supervised engine (the origin, MySQL, Kafka) that crashes is
 * back within seconds; a call made meanwhile fails in a few recognisable ways — the connection is
 * refused or reset, it times out, the server answers 5xx or "slow down". Such a failure is
 * *transient*: the same call later will work. Everything else (bad media, a 4xx, a broken
 * invariant, a bug) is *permanent*: repeating it changes nothing, and it should fail at once.
 */

/** Socket and driver codes of a dependency that is down, restarting, or overloaded. */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
  // mysql2
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_QUERY_INTERRUPTED',
  'ER_CONNECTION_KILLED',
]);

/** AWS SDK error names of an overloaded or restarting S3 endpoint. */
const TRANSIENT_S3 = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'ThrottlingException',
  'Throttling',
]);

/** Text of a failure reported as words only (ffmpeg reading the source over HTTP, a wrapped error). */
const TRANSIENT_TEXT =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|socket hang up|other side closed|Connection refused|Connection reset|Connection timed out|Server returned 5(?:\d\d|XX)|Service Unavailable|Connection lost: The server closed the connection/i;

interface ErrorLike {
  code?: unknown;
  errno?: unknown;
  name?: unknown;
  message?: unknown;
  retriable?: unknown;
  cause?: unknown;
  errors?: unknown;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
  /** a media tool's last stderr lines (ffmpeg reading its source over HTTP) */
  stderrTail?: unknown;
}

/** Is this failure one that the same call, made again shortly, may not have? */
export function isTransient(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 5) return false;
  const e = error as ErrorLike;
  if (typeof e.code === 'string' && TRANSIENT_CODES.has(e.code)) return true;
  // an HTTP answer: 5xx and 429 are the server's state; any other status is about the request
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === 'number') return status >= 500 || status === 429;
  if (typeof e.name === 'string') {
    if (TRANSIENT_S3.has(e.name) || e.$retryable) return true;
    // kafkajs marks what a retry can fix; a lost connection or broker is always such a failure
    if (e.name.startsWith('KafkaJS')) {
      if (e.retriable === true) return true;
      if (/Connection|Broker|RequestTimeout|NumberOfRetriesExceeded|LockTimeout/.test(e.name)) return true;
    }
  }
  if (Array.isArray(e.errors) && e.errors.some((x) => isTransient(x, depth + 1))) return true;
  if (e.cause && isTransient(e.cause, depth + 1)) return true;
  if (Array.isArray(e.stderrTail) && TRANSIENT_TEXT.test(e.stderrTail.join('\n'))) return true;
  return typeof e.message === 'string' && TRANSIENT_TEXT.test(e.message);
}

export interface RideOutOptions {
  /** give up (throw the last error) once this long has passed since the first failure; ms */
  deadlineMs: number;
  /** first backoff ceiling; ms, default 250 */
  baseMs?: number;
  /** the largest backoff; ms, default 5000 */
  capMs?: number;
  /** called before each wait: the attempt that failed (1-based), its error, the wait */
  onRetry?: (attempt: number, error: unknown, delayMs: number) => void;
  signal?: AbortSignal;
  /** seams for tests */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

/** Exponential backoff with full jitter: a random wait up to min(cap, base × 2^(attempt−1)). */
export function backoffMs(
  attempt: number,
  o: { baseMs?: number; capMs?: number; random?: () => number } = {},
) {
  const ceiling = Math.min(o.capMs ?? 5000, (o.baseMs ?? 250) * 2 ** Math.max(0, attempt - 1));
  return Math.round((o.random ?? Math.random)() * ceiling);
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Runs `fn` until it succeeds, retrying transient failures with backoff until `deadlineMs` after
 * the first one; a permanent failure, or a transient one past the deadline, is thrown as it was.
 */
export async function rideOut<T>(fn: (attempt: number) => Promise<T>, o: RideOutOptions): Promise<T> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? defaultSleep;
  let firstFailure: number | null = null;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (o.signal?.aborted || !isTransient(error)) throw error;
      firstFailure ??= now();
      const left = firstFailure + o.deadlineMs - now();
      if (left <= 0) throw error;
      const delay = Math.min(left, backoffMs(attempt, o));
      o.onRetry?.(attempt, error, delay);
      await sleep(delay, o.signal);
    }
  }
}
