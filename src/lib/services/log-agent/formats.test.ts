import { describe, expect, it } from 'vitest';
import { parseLine } from './formats.js';

// lines as the cluster's engines write them (copied from a running cluster's logs)
const local = (y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0) =>
  new Date(y, mo - 1, d, h, mi, s, ms).getTime();

describe('log line formats', () => {
  it('reads a flix service line: level, time, message, trace and user; the rest as fields', () => {
    const p = parseLine(
      'pino',
      '{"level":"warn","time":"2026-12-03T19:06:24.601Z","component":"gateway-a-1","service":"gateway","zone":"a","method":"GET","path":"/api/v1/play","status":503,"traceId":"4bf92f3577b34da6","userId":"u-1","msg":"request"}',
    );
    expect(p).toEqual({
      time: Date.parse('2026-12-03T19:06:24.601Z'),
      level: 'warn',
      msg: 'request',
      zone: 'a',
      traceId: '4bf92f3577b34da6',
      userId: 'u-1',
      fields: { method: 'GET', path: '/api/v1/play', status: 503 },
    });
  });

  it("reads Kafka's log4j, Cassandra's logback, Elasticsearch's and MariaDB's layouts", () => {
    expect(
      parseLine(
        'kafka',
        '[2026-12-03 19:06:31,046] INFO [ControllerServer id=1] Starting controller (kafka.server.ControllerServer)',
      ),
    ).toEqual({
      time: local(2026, 12, 3, 19, 6, 31, 46),
      level: 'info',
      msg: '[ControllerServer id=1] Starting controller',
      fields: { logger: 'kafka.server.ControllerServer' },
    });
    expect(
      parseLine('cassandra', 'WARN  [main] 2026-12-03 19:06:49,944 CassandraDaemon:744 - Startup complete'),
    ).toEqual({
      time: local(2026, 12, 3, 19, 6, 49, 944),
      level: 'warn',
      msg: 'Startup complete',
      fields: { thread: 'main', logger: 'CassandraDaemon:744' },
    });
    expect(
      parseLine(
        'elasticsearch',
        '[2026-12-03T19:06:50,396][INFO ][o.e.p.PluginsService     ] [flix-look-es] loaded module [apm]',
      ),
    ).toMatchObject({ time: local(2026, 12, 3, 19, 6, 50, 396), level: 'info', msg: 'loaded module [apm]' });
    expect(
      parseLine(
        'mariadb',
        "2026-12-03 19:06:30 3 [Warning] Access denied for user 'root'@'localhost' (using password: YES)",
      ),
    ).toMatchObject({
      time: local(2026, 12, 3, 19, 6, 30),
      level: 'warn',
      msg: expect.stringMatching(/^Access denied/),
    });
  });

  it("reads the origin's (s3proxy) lines, whose layout has no year", () => {
    const now = local(2026, 12, 3, 20, 0, 0);
    expect(
      parseLine(
        's3proxy',
        '[s3proxy] E 12-03 19:06:25.854 main o.g.s.CrossOriginResourceSharing:110 |::] CORS allowed origins: []',
        now,
      ),
    ).toMatchObject({
      time: local(2026, 12, 3, 19, 6, 25, 854),
      level: 'error',
      msg: 'CORS allowed origins: []',
    });
    // read on New Year's day, a line of the 31st is last year's
    const newYear = local(2027, 1, 1, 0, 0, 5);
    expect(
      parseLine('s3proxy', '[s3proxy] I 12-31 23:59:59.000 main o.g.s.X:1 |::] late', newYear).time,
    ).toBe(local(2026, 12, 31, 23, 59, 59));
  });

  it("reads an edge's access line, its level from the status", () => {
    const p = parseLine(
      'nginx',
      '{"time":"2026-12-03T19:10:00+00:00","msec":1796325000.123,"method":"GET","uri":"/v/1/0/-/titles/t1/720p/1.m4s","status":404,"bytes":120,"request_time":0.001,"upstream_cache_status":"MISS","title":"t1","edge":"edge-a","zone":"a"}',
    );
    expect(p).toMatchObject({
      time: Date.parse('2026-12-03T19:10:00.123Z'),
      level: 'warn',
      msg: 'GET /v/1/0/-/titles/t1/720p/1.m4s 404',
      zone: 'a',
      fields: { upstream_cache_status: 'MISS', bytes: 120 },
    });
    expect(parseLine('nginx', '2026/12/03 19:06:29 [emerg] 12#12: bind() failed')).toMatchObject({
      level: 'fatal',
      msg: 'bind() failed',
    });
  });

  it("reads the runtime's start stamp in any component's log, and leaves a continuation line's level unsaid", () => {
    expect(
      parseLine('kafka', '===== flix: starting kafka at 2026-12-03T19:06:26.453Z: /usr/bin/java -Xms256m'),
    ).toEqual({
      time: Date.parse('2026-12-03T19:06:26.453Z'),
      level: 'info',
      msg: 'starting kafka',
      fields: { command: '/usr/bin/java -Xms256m' },
    });
    expect(
      parseLine(
        'cassandra',
        '\tat org.apache.cassandra.service.CassandraDaemon.setup(CassandraDaemon.java:1)',
      ),
    ).toEqual({
      msg: '\tat org.apache.cassandra.service.CassandraDaemon.setup(CassandraDaemon.java:1)',
    });
    expect(parseLine('pino', 'not json at all')).toEqual({ msg: 'not json at all' });
  });
});
