import { destination, pino, stdTimeFunctions } from 'pino';

/**
 * A service's log: one JSON object per line on stdout (which the runtime sends to the
 * component's log file, where the cluster's log agent picks it up). Every line carries the
 * component, its service and zone; a request's lines carry its trace id and, when it was made
 * for a viewer, the user id — the fields `flix logs` filters on.
 */
export interface ServiceLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface LogIdentity {
  component: string;
  service: string;
  zone: string | null;
}

/** `destination` is a file descriptor (stdout by default); writes are synchronous so a crash loses no line. */
export function serviceLog(who: LogIdentity, fd = 1): ServiceLog {
  const logger = pino(
    {
      base: { component: who.component, service: who.service, zone: who.zone },
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination({ fd, sync: true }),
  );
  return {
    info: (message, fields) => logger.info(fields ?? {}, message),
    warn: (message, fields) => logger.warn(fields ?? {}, message),
    error: (message, fields) => logger.error(fields ?? {}, message),
  };
}

/** What a request log line says. */
export interface RequestLine {
  method: string;
  path: string;
  status: number;
  ms: number;
  traceId?: string;
  userId?: string | null;
}

/**
 * Requests made for a viewer, and every failed one, get a line each: that is what support reads
 * ("everything that happened to alice"). The cluster's own traffic without a viewer (heartbeats,
 * registrations, health) would drown them, so it is counted, not logged.
 */
export function logRequest(log: ServiceLog, line: RequestLine): void {
  if (line.status >= 500) log.error('request', { ...line, ms: Math.round(line.ms * 10) / 10 });
  else if (line.userId) log.info('request', { ...line, ms: Math.round(line.ms * 10) / 10 });
}
