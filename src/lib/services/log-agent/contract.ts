import { z } from 'zod';

/**
 * The log agent's message: one log line of one component as it goes onto the `logs` topic,
 * parsed into the fields every kind of component shares (time, level, message, trace and user
 * where the line has them). The id names the line's place in its file, so a line the agent sends
 * twice (after a crash, before its checkpoint) is the same record twice, which the index stores
 * once.
 */
export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof logLevels)[number];

/** Numeric severity, for "this level and above". */
export const severityOf = (level: LogLevel): number => (logLevels.indexOf(level) + 1) * 10;

/** Where a line came from: a flix service, an engine's own log, an edge's access log, the supervisor, any other log in the cluster's folder. */
export type LogSource = 'service' | 'engine' | 'access' | 'supervisor' | 'other';

export interface LogRecord {
  /** `<component>:<source>:<inode>:<byte offset>` of the line */
  id: string;
  /** ISO 8601, from the line where it has a time, else when the agent read it */
  time: string;
  component: string;
  /** the flix service, or the engine (`kafka`, `edge`, …) */
  service: string;
  zone: string | null;
  source: LogSource;
  /** the line's byte offset in its file: orders the lines of one time */
  offset: number;
  level: LogLevel;
  msg: string;
  traceId?: string;
  userId?: string;
  /** whatever else the line carried (a request's path and status, an error's stack) */
  fields?: Record<string, unknown>;
}

const record = z.strictObject({
  id: z.string().min(1).max(512),
  time: z.string().datetime({ offset: true }),
  component: z.string().min(1).max(128),
  service: z.string().min(1).max(64),
  zone: z.string().max(32).nullable(),
  source: z.enum(['service', 'engine', 'access', 'supervisor', 'other']),
  offset: z.number().int().min(0),
  level: z.enum(logLevels),
  msg: z.string(),
  traceId: z.string().max(64).optional(),
  userId: z.string().max(128).optional(),
  fields: z.record(z.string(), z.unknown()).optional(),
});

/** A record as it comes off Kafka, or null when the bytes are not one. */
export function parseLogRecord(text: string | undefined): LogRecord | null {
  if (text === undefined) return null;
  try {
    const parsed = record.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
