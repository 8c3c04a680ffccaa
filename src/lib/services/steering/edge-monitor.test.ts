import { describe, expect, it } from 'vitest';
import { parseAccessLine, parseStubStatus } from './edge-monitor.js';

describe('edge access log lines', () => {
  it('counts a 200 MISS or HIT as the title now being in the cache', () => {
    const miss = parseAccessLine(
      '{"uri":"/v/1795400000/abc/titles/big-trip-1a2b/hls/720p/seg_1.m4s","status":200,"bytes":5000,"upstream_cache_status":"MISS"}',
    );
    expect(miss).toEqual({ title: 'big-trip-1a2b', bytes: 5000, cached: true });
    const hit = parseAccessLine(
      '{"uri":"/x","title":"t1","status":206,"bytes":10,"upstream_cache_status":"HIT"}',
    );
    expect(hit).toEqual({ title: 't1', bytes: 10, cached: true });
  });

  it('does not count refusals, bypasses or lines that are not JSON', () => {
    expect(
      parseAccessLine('{"uri":"/v/1/x/titles/t/a","status":403,"bytes":0,"upstream_cache_status":""}')
        ?.cached,
    ).toBe(false);
    expect(
      parseAccessLine('{"uri":"/v/1/x/titles/t/a","status":200,"bytes":9,"upstream_cache_status":"BYPASS"}')
        ?.cached,
    ).toBe(false);
    expect(parseAccessLine('not json')).toBeNull();
  });
});

describe('nginx stub_status', () => {
  it('reads the active connections', () => {
    expect(parseStubStatus('Active connections: 3 \nserver accepts handled requests\n 10 10 20 \n')).toBe(3);
    expect(parseStubStatus('<html>')).toBeNull();
  });
});
