import type { LogLevel } from './contract.js';

/**
 * Log lines of every kind of component, read into the fields they share. Each engine writes its
 * own layout (the cluster's templates set them to the console, one line per event); a line that
 * matches none — a Java stack trace's `at …` lines, a crash's output — keeps the level of the line
 * before it in its file and the time it was read.
 */
export type LogFormat =
  | 'pino' // flix services: JSON objects
  | 'nginx' // edges: the access log's JSON lines, and nginx's own error lines
  | 'kafka' // log4j: [2026-12-03 19:06:29,131] INFO message (logger)
  | 'cassandra' // logback: INFO  [main] 2026-12-03 19:06:23,678 Config:1355 - message
  | 'elasticsearch' // [2026-12-03T19:06:37,530][INFO ][o.e.b.Elasticsearch] [node] message
  | 'mariadb' // 2026-12-03 19:06:28 0 [Warning] message
  | 's3proxy' // [s3proxy] I 12-03 19:06:25.854 main o.g.s.Class:110 |::] message
  | 'supervisor' // 2026-12-03T19:06:20.230Z message
  | 'plain';

export interface ParsedLine {
  /** epoch ms, when the line says */
  time?: number;
  /** undefined when the line does not say (a continuation line) */
  level?: LogLevel;
  msg: string;
  zone?: string | null;
  traceId?: string;
  userId?: string;
  fields?: Record<string, unknown>;
}

const levelWords: Record<string, LogLevel> = {
  trace: 'trace',
  t: 'trace',
  debug: 'debug',
  d: 'debug',
  note: 'info',
  notice: 'info',
  info: 'info',
  i: 'info',
  warn: 'warn',
  warning: 'warn',
  w: 'warn',
  error: 'error',
  err: 'error',
  e: 'error',
  crit: 'fatal',
  alert: 'fatal',
  emerg: 'fatal',
  fatal: 'fatal',
  severe: 'fatal',
};

const levelOf = (word: string): LogLevel | undefined => levelWords[word.trim().toLowerCase()];

/** `2026-12-03 19:06:29,131` (or with `T`, `.`, or no milliseconds), in the machine's local time. */
function localTime(date: string, time: string, ms = '0'): number | undefined {
  const d = /^(\d{4})[-/](\d{2})[-/](\d{2})$/.exec(date);
  const t = /^(\d{1,2}):(\d{2}):(\d{2})$/.exec(time);
  if (!d || !t) return undefined;
  const v = new Date(+d[1]!, +d[2]! - 1, +d[3]!, +t[1]!, +t[2]!, +t[3]!, +ms.padEnd(3, '0').slice(0, 3));
  return Number.isNaN(v.getTime()) ? undefined : v.getTime();
}

// the runtime's own line at the head of each start of a component
const STAMP = /^===== flix: (.*) at (\d{4}-\d{2}-\d{2}T[\d:.]+Z)(?:: (.*))?$/;
const KAFKA = /^\[(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}),(\d{3})\] (\w+) (.*)$/;
const CASSANDRA = /^(\w+)\s+\[([^\]]*)\] (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}),(\d{3}) (\S+) - (.*)$/;
const ELASTICSEARCH =
  /^\[(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2}),(\d{3})\]\[(\w+)\s*\]\[([^\]]*)\] (?:\[[^\]]*\] )?(.*)$/;
const MARIADB = /^(\d{4}-\d{2}-\d{2})\s+(\d{1,2}:\d{2}:\d{2}) (\d+) \[(\w+)\] (.*)$/;
// s3proxy's layout has no year: the current one (a line read just after New Year's midnight
// from before it would be a year ahead; it is corrected back)
const S3PROXY =
  /^\[s3proxy\] ([TDIWE]) (\d{2})-(\d{2}) (\d{2}:\d{2}:\d{2})\.(\d{3}) (\S+) (\S+) \|[^\]]*\] (.*)$/;
const NGINX_ERROR = /^(\d{4}\/\d{2}\/\d{2}) (\d{2}:\d{2}:\d{2}) \[(\w+)\] \d+#\d+: (?:\*\d+ )?(.*)$/;
const SUPERVISOR = /^(\d{4}-\d{2}-\d{2}T[\d:.]+Z) (.*)$/;

export function parseLine(format: LogFormat, line: string, now = Date.now()): ParsedLine {
  const stamp = STAMP.exec(line);
  if (stamp)
    return {
      time: Date.parse(stamp[2]!),
      level: 'info',
      msg: stamp[1]!,
      fields: stamp[3] ? { command: stamp[3] } : undefined,
    };
  switch (format) {
    case 'pino':
      return json(line) ?? { msg: line };
    case 'nginx': {
      const access = accessLine(line);
      if (access) return access;
      const m = NGINX_ERROR.exec(line);
      return m ? { time: localTime(m[1]!, m[2]!), level: levelOf(m[3]!), msg: m[4]! } : { msg: line };
    }
    case 'kafka': {
      const m = KAFKA.exec(line);
      if (!m) return { msg: line };
      // the logger's name ends the line, in parentheses
      const logger = /^(.*) \(([\w.$]+)\)$/.exec(m[5]!);
      return {
        time: localTime(m[1]!, m[2]!, m[3]!),
        level: levelOf(m[4]!),
        msg: logger ? logger[1]! : m[5]!,
        fields: logger ? { logger: logger[2] } : undefined,
      };
    }
    case 'cassandra': {
      const m = CASSANDRA.exec(line);
      return m
        ? {
            time: localTime(m[3]!, m[4]!, m[5]!),
            level: levelOf(m[1]!),
            msg: m[7]!,
            fields: { thread: m[2], logger: m[6] },
          }
        : { msg: line };
    }
    case 'elasticsearch': {
      const m = ELASTICSEARCH.exec(line);
      return m
        ? {
            time: localTime(m[1]!, m[2]!, m[3]!),
            level: levelOf(m[4]!),
            msg: m[6]!,
            fields: { logger: m[5]!.trim() },
          }
        : { msg: line };
    }
    case 'mariadb': {
      const m = MARIADB.exec(line);
      return m
        ? {
            time: localTime(m[1]!, m[2]!),
            level: levelOf(m[4]!),
            msg: m[5]!,
            fields: { thread: Number(m[3]) },
          }
        : { msg: line };
    }
    case 's3proxy': {
      const m = S3PROXY.exec(line);
      if (!m) return { msg: line };
      const year = new Date(now).getFullYear();
      let time = localTime(`${year}-${m[2]}-${m[3]}`, m[4]!, m[5]!);
      if (time !== undefined && time > now + 86_400_000)
        time = localTime(`${year - 1}-${m[2]}-${m[3]}`, m[4]!, m[5]!);
      return { time, level: levelOf(m[1]!), msg: m[8]!, fields: { thread: m[6], logger: m[7] } };
    }
    case 'supervisor': {
      const m = SUPERVISOR.exec(line);
      return m
        ? {
            time: Date.parse(m[1]!),
            level: /failed|gave up|crash/i.test(m[2]!) ? 'warn' : 'info',
            msg: m[2]!,
          }
        : { msg: line };
    }
    case 'plain':
      return { msg: line };
  }
}

/** A flix service's line (pino): its own level, time and message; the rest are fields. */
function json(line: string): ParsedLine | null {
  if (!line.startsWith('{')) return null;
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return null;
  const {
    level,
    time,
    msg,
    message,
    component: _c,
    service: _s,
    zone,
    traceId,
    userId,
    pid: _p,
    hostname: _h,
    ...rest
  } = o as Record<string, unknown>;
  return {
    time: typeof time === 'string' ? Date.parse(time) : typeof time === 'number' ? time : undefined,
    level: typeof level === 'string' ? levelOf(level) : typeof level === 'number' ? pinoLevel(level) : 'info',
    msg: typeof msg === 'string' ? msg : typeof message === 'string' ? message : '',
    zone: typeof zone === 'string' ? zone : undefined,
    traceId: typeof traceId === 'string' ? traceId : undefined,
    userId: typeof userId === 'string' && userId ? userId : undefined,
    fields: Object.keys(rest).length > 0 ? rest : undefined,
  };
}

function pinoLevel(n: number): LogLevel {
  if (n >= 60) return 'fatal';
  if (n >= 50) return 'error';
  if (n >= 40) return 'warn';
  if (n >= 30) return 'info';
  return n >= 20 ? 'debug' : 'trace';
}

/** An edge's access line (the cluster's `flix_json` log format). */
function accessLine(line: string): ParsedLine | null {
  const o = json(line);
  if (!o?.fields || typeof o.fields.status !== 'number') return null;
  const { msec, ...f } = o.fields;
  const status = f.status as number;
  return {
    // $time_iso8601 is to the second; $msec (epoch seconds) to the millisecond
    time: typeof msec === 'number' ? Math.round(msec * 1000) : o.time,
    level: status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info',
    msg: `${f.method} ${f.uri} ${status}`,
    zone: o.zone,
    fields: f,
  };
}
