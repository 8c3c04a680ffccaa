import { describe, expect, it } from 'vitest';
import {
  b3Headers,
  childSpan,
  downstreamHeaders,
  newTrace,
  parseB3,
  type RandomSource,
  resolveTrace,
} from './tracing.js';

/** Fills each requested buffer with 0x01, 0x02, … so ids are predictable. */
function counting(): RandomSource {
  let next = 1;
  return (n) => new Uint8Array(n).fill(next++);
}

const TRACE = '463ac35c9f6413ad48485a3953bb6124';
const SPAN = 'a2fb4a1d1a96d312';
const PARENT = '0020000000000001';

describe('parseB3', () => {
  it('reads the x-b3-* headers', () => {
    expect(
      parseB3({
        'x-b3-traceid': TRACE.toUpperCase(),
        'x-b3-spanid': SPAN,
        'x-b3-parentspanid': PARENT,
        'x-b3-sampled': '1',
      }),
    ).toEqual({
      kind: 'trace',
      trace: { traceId: TRACE, spanId: SPAN, parentSpanId: PARENT, sampled: true },
    });
    expect(parseB3({ 'x-b3-traceid': '48485a3953bb6124', 'x-b3-spanid': SPAN, 'x-b3-flags': '1' })).toEqual({
      kind: 'trace',
      trace: { traceId: '48485a3953bb6124', spanId: SPAN, sampled: true, debug: true },
    });
  });

  it('reads the single b3 header, which wins over x-b3-*', () => {
    expect(parseB3({ b3: `${TRACE}-${SPAN}-0-${PARENT}`, 'x-b3-traceid': '1'.repeat(32) })).toEqual({
      kind: 'trace',
      trace: { traceId: TRACE, spanId: SPAN, parentSpanId: PARENT, sampled: false },
    });
    expect(parseB3({ b3: `${TRACE}-${SPAN}` })).toEqual({
      kind: 'trace',
      trace: { traceId: TRACE, spanId: SPAN },
    });
    expect(parseB3({ b3: `${TRACE}-${SPAN}-d` })).toEqual({
      kind: 'trace',
      trace: { traceId: TRACE, spanId: SPAN, sampled: true, debug: true },
    });
    expect(parseB3({ b3: '0' })).toEqual({ kind: 'sampling-only', sampled: false });
  });

  it('ignores malformed or all-zero ids and falls back to x-b3-*', () => {
    expect(parseB3({ b3: `${TRACE}-nothex` })).toEqual({ kind: 'none' });
    expect(parseB3({ b3: `${TRACE}-${SPAN}-x` })).toEqual({ kind: 'none' });
    expect(parseB3({ 'x-b3-traceid': '0'.repeat(32), 'x-b3-spanid': SPAN })).toEqual({ kind: 'none' });
    expect(parseB3({ b3: 'garbage', 'x-b3-traceid': TRACE, 'x-b3-spanid': SPAN })).toEqual({
      kind: 'trace',
      trace: { traceId: TRACE, spanId: SPAN },
    });
    expect(parseB3({ 'x-b3-sampled': '0' })).toEqual({ kind: 'sampling-only', sampled: false });
    expect(parseB3({})).toEqual({ kind: 'none' });
  });
});

describe('creating and propagating traces', () => {
  it('creates a 16-byte trace id and an 8-byte span id from the random source', () => {
    expect(newTrace(counting())).toEqual({ traceId: '01'.repeat(16), spanId: '02'.repeat(8) });
  });

  it('resolves to the caller trace, or a new one that keeps a lone sampling decision', () => {
    const random = counting();
    expect(resolveTrace({ b3: `${TRACE}-${SPAN}-1` }, random)).toEqual({
      traceId: TRACE,
      spanId: SPAN,
      sampled: true,
    });
    expect(resolveTrace({}, random)).toEqual({ traceId: '01'.repeat(16), spanId: '02'.repeat(8) });
    expect(resolveTrace({ b3: '0' }, random)).toEqual({
      traceId: '03'.repeat(16),
      spanId: '04'.repeat(8),
      sampled: false,
    });
  });

  it('makes downstream headers: same trace, new span, parent = current span', () => {
    const current = { traceId: TRACE, spanId: SPAN, sampled: true };
    expect(downstreamHeaders(current, counting())).toEqual({
      'x-b3-traceid': TRACE,
      'x-b3-spanid': '01'.repeat(8),
      'x-b3-parentspanid': SPAN,
      'x-b3-sampled': '1',
    });
    const debugChild = childSpan({ traceId: TRACE, spanId: SPAN, debug: true, sampled: true }, counting());
    expect(b3Headers(debugChild)).toEqual({
      'x-b3-traceid': TRACE,
      'x-b3-spanid': '01'.repeat(8),
      'x-b3-parentspanid': SPAN,
      'x-b3-flags': '1',
    });
  });

  it('never produces an all-zero id and checks the random source', () => {
    expect(newTrace((n) => new Uint8Array(n)).spanId).toBe(`${'0'.repeat(15)}1`);
    expect(() => newTrace(() => new Uint8Array(3))).toThrow('random source returned 3 bytes, not 16');
  });
});
