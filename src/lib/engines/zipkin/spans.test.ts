import { describe, expect, it } from 'vitest';
import { parseSpans, parseTraces, traceDurationUs } from './spans.js';

// as Zipkin 3's /api/v2/trace/{id} answers, plus what other reporters add
const answer = [
  {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    id: '00f067aa0ba902b7',
    kind: 'SERVER',
    name: 'get /play/{id}',
    timestamp: 1_796_000_000_000_000,
    duration: 48_000,
    localEndpoint: { serviceName: 'gateway', ipv4: '127.0.0.1', port: 8080 },
    remoteEndpoint: { ipv4: '127.0.0.1', port: 51234 },
    tags: { 'http.method': 'GET', 'http.status_code': 200, 'otel.library.name': '@opentelemetry/http' },
    annotations: [{ timestamp: 1_796_000_000_001_000, value: 'wr' }],
    debug: false,
    parentId: null,
    somethingNewer: { x: 1 },
  },
  {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    id: '53995c3f42cd8ad8',
    parentId: '00f067aa0ba902b7',
    kind: 'CLIENT',
    name: 'insert',
    timestamp: 1_796_000_000_025_000,
    duration: 20_000,
    localEndpoint: { serviceName: 'playback' },
    remoteEndpoint: { serviceName: 'cassandra', port: 9042 },
    shared: false,
  },
];

describe("parsing Zipkin's answers", () => {
  it('reads a trace, tolerating nulls, numeric tag values and fields it does not know', () => {
    const [server, client] = parseSpans(answer);
    expect(server).toMatchObject({
      id: '00f067aa0ba902b7',
      kind: 'SERVER',
      duration: 48_000,
      localEndpoint: { serviceName: 'gateway', port: 8080 },
      tags: { 'http.status_code': '200' },
      annotations: [{ value: 'wr' }],
    });
    expect(server?.parentId).toBeUndefined();
    expect(server).toHaveProperty('somethingNewer', { x: 1 });
    expect(client?.remoteEndpoint?.serviceName).toBe('cassandra');
    expect(client?.parentId).toBe('00f067aa0ba902b7');
  });

  it('draws a span of a kind it does not know without one, rather than refusing the trace', () => {
    const [s] = parseSpans([{ ...answer[1], kind: 'INTERNAL' }]);
    expect(s?.kind).toBeUndefined();
    expect(s?.name).toBe('insert');
  });

  it('refuses what is not a list of spans, saying where', () => {
    expect(() => parseSpans({ message: 'Not Found' })).toThrow(/not a list of spans: the answer: .*array/);
    expect(() => parseSpans([answer[0], { traceId: 'abc' }])).toThrow(/not a list of spans: \[1\]\.id/);
    expect(() => parseSpans([{ ...answer[0], duration: '48ms' }])).toThrow(/\[0\]\.duration/);
    expect(() => parseSpans([{ ...answer[0], id: '' }])).toThrow(/\[0\]\.id/);
  });

  it('reads many traces, and refuses one flat list of spans in their place', () => {
    const traces = parseTraces([answer, [answer[1]], []]);
    expect(traces.map((t) => t.length)).toEqual([2, 1, 0]);
    expect(() => parseTraces(answer)).toThrow(/not a list of traces .*\[0\]/);
    expect(() => parseTraces(null)).toThrow(/not a list of traces/);
  });

  it("measures a trace from its first span's start to its last span's end", () => {
    const spans = parseSpans(answer);
    expect(traceDurationUs(spans)).toBe(48_000);
    const later = parseSpans([answer[0], { ...answer[1], timestamp: 1_796_000_000_040_000 }]);
    expect(traceDurationUs(later)).toBe(60_000);
    expect(traceDurationUs([])).toBe(0);
  });
});
