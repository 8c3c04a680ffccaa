import { describe, expect, it } from 'vitest';
import { FlixError } from '../core/errors.js';
import { MetricsRegistry } from './metrics.js';
import {
  checkThresholds,
  compare,
  evaluateThreshold,
  evaluateThresholds,
  parseThreshold,
  parseThresholds,
  thresholdsFromConfig,
} from './thresholds.js';

function usageError(fn: () => unknown): FlixError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FlixError);
    expect((e as FlixError).exitCode).toBe(2);
    return e as FlixError;
  }
  throw new Error('expected a usage error');
}

describe('parseThreshold', () => {
  it.each([
    ['p99(start_ms)<200', { metric: 'start_ms', aggregate: { fn: 'p', p: 99 }, op: '<', target: 200 }],
    ['p(95)(start_ms)<=150', { metric: 'start_ms', aggregate: { fn: 'p', p: 95 }, op: '<=', target: 150 }],
    ['p(99.9)(start_ms) < 1000', { aggregate: { fn: 'p', p: 99.9 }, target: 1000 }],
    ['p99.9(start_ms)<1000', { aggregate: { fn: 'p', p: 99.9 } }],
    ['med(start_ms)<100', { aggregate: { fn: 'p', p: 50 } }],
    ['avg(rebuffer_ratio)<0.01', { metric: 'rebuffer_ratio', aggregate: { fn: 'avg' }, target: 0.01 }],
    ['max(x)<5e3', { aggregate: { fn: 'max' }, target: 5000 }],
    ['min(x)>=1', { aggregate: { fn: 'min' }, op: '>=' }],
    ['rate(failed_plays)<0.001', { aggregate: { fn: 'rate' }, target: 0.001 }],
    ['count(x)==0', { aggregate: { fn: 'count' }, op: '==', target: 0 }],
    ['value(viewers)!=0', { aggregate: { fn: 'value' }, op: '!=' }],
    ['failed_plays==0', { metric: 'failed_plays', aggregate: undefined, op: '==', target: 0 }],
    ['failed_plays<=0.1%', { aggregate: undefined, op: '<=', target: 0.001 }],
    ['rate(cache_hits)>95%', { op: '>', target: 0.95 }],
    ['  p99( start_ms )  >  -1  ', { metric: 'start_ms', op: '>', target: -1 }],
  ])('%s', (text, want) => {
    const t = parseThreshold(text);
    expect(t).toMatchObject({ tags: {}, abortOnFail: false, abortGraceMs: 0, ...want });
    expect(t.source).toBe(text.trim());
  });

  it('reads tag filters', () => {
    expect(parseThreshold('p99(start_ms{step:play,endpoint:edge-a})<2000')).toMatchObject({
      metric: 'start_ms',
      tags: { step: 'play', endpoint: 'edge-a' },
      target: 2000,
    });
    expect(parseThreshold('segment_misses{cause:edge_unhealthy}==0')).toMatchObject({
      metric: 'segment_misses',
      tags: { cause: 'edge_unhealthy' },
      aggregate: undefined,
    });
  });

  it('reads abortOnFail, with an optional delay', () => {
    expect(parseThreshold('p99(start_ms)<200:abortOnFail')).toMatchObject({
      abortOnFail: true,
      abortGraceMs: 0,
    });
    expect(parseThreshold('p99(start_ms)<200:abortOnFail=30s')).toMatchObject({
      abortOnFail: true,
      abortGraceMs: 30_000,
    });
    expect(parseThreshold('p99(start_ms{step:play})<200 : abortOnFail = 1m30s')).toMatchObject({
      tags: { step: 'play' },
      abortGraceMs: 90_000,
    });
  });

  it.each([
    ['', /empty/],
    ['p99(start_ms)', /no comparison/],
    ['p99(start_ms)=200', /"=" is not a comparison/],
    ['p99(start_ms)<<200', /"<<" is not a comparison/],
    ['p99(start_ms)=>200', /"=>" is not a comparison/],
    ['p99(start_ms)<', /nothing to compare with after "<"/],
    ['p99(start_ms)<fast', /"fast" is not a number/],
    ['p99(start_ms)<200ms', /"200ms" is not a number/],
    ['<200', /nothing before the comparison/],
    ['pp99(start_ms)<200', /unknown aggregate "pp99"/],
    ['avrg(start_ms)<200', /unknown aggregate "avrg"/],
    ['p(101)(start_ms)<200', /"p\(101\)": a percentile is a number from 0 to 100/],
    ['p()(start_ms)<200', /a percentile/],
    ['p(start_ms)<200', /is not aggregate\(metric\)/],
    ['(start_ms)<200', /is not aggregate\(metric\)/],
    ['p99(9start)<200', /"9start" is not a metric name/],
    ['p99(start ms)<200', /"start ms" is not a metric name/],
    ['p99(start_ms{step})<200', /"step" in \{step\} is not tag:value/],
    ['p99(start_ms)<200:abortOnFial', /unknown option "abortOnFial"/],
    ['p99(start_ms)<200:abortOnFail=soon', /not a duration/],
  ])('refuses %j naming the bad part', (text, message) => {
    const e = usageError(() => parseThreshold(text));
    expect(e.message).toMatch(message);
    expect(e.message).toContain(`threshold "${text}"`.slice(0, 12));
    expect(e.nextStep).toMatch(/p99\(start_ms\)<200/);
  });

  it('parses a list, the first bad one throwing', () => {
    expect(parseThresholds(['p99(a)<1', 'b==0']).map((t) => t.metric)).toEqual(['a', 'b']);
    expect(() => parseThresholds(['p99(a)<1', 'b=0'])).toThrow(FlixError);
  });
});

describe('thresholdsFromConfig (k6 shape)', () => {
  it('takes the metric from the key and k6 option names', () => {
    const ts = thresholdsFromConfig({
      start_ms: ['p(99)<200', { threshold: 'p(95)<150', abortOnFail: true, delayAbortEval: '10s' }],
      'failed_plays{zone:a}': ['rate<0.01'],
    });
    expect(ts).toMatchObject([
      {
        metric: 'start_ms',
        aggregate: { fn: 'p', p: 99 },
        target: 200,
        abortOnFail: false,
        source: 'start_ms: p(99)<200',
      },
      { metric: 'start_ms', aggregate: { fn: 'p', p: 95 }, abortOnFail: true, abortGraceMs: 10_000 },
      { metric: 'failed_plays', tags: { zone: 'a' }, aggregate: { fn: 'rate' }, target: 0.01 },
    ]);
  });

  it('refuses a bad expression there too', () => {
    expect(() => thresholdsFromConfig({ start_ms: ['p(99)<<200'] })).toThrow(/not a comparison/);
    expect(() => thresholdsFromConfig({ start_ms: ['bogus<1'] })).toThrow(/unknown aggregate/);
  });
});

describe('compare', () => {
  it('forgives float noise on equality only', () => {
    expect(compare(0.1 + 0.2, '==', 0.3)).toBe(true);
    expect(compare(0.1 + 0.2, '!=', 0.3)).toBe(false);
    expect(compare(0.1 + 0.2, '<=', 0.3)).toBe(true);
    expect(compare(0.1 + 0.2, '>', 0.3)).toBe(false);
    expect(compare(1, '<', 2)).toBe(true);
    expect(compare(2, '<', 2)).toBe(false);
    expect(compare(2, '<=', 2)).toBe(true);
    expect(compare(3, '>', 2)).toBe(true);
    expect(compare(2, '>=', 2)).toBe(true);
    expect(compare(0, '==', 0.0001)).toBe(false);
  });
});

function registry() {
  const r = new MetricsRegistry();
  const start = r.trend('start_ms', { unit: 'ms' });
  for (let i = 1; i <= 100; i++) start.add(i * 2, { step: 'play', endpoint: i <= 50 ? 'edge-a' : 'edge-b' });
  const failed = r.rate('failed_plays');
  for (let i = 0; i < 1000; i++) failed.add(i === 0);
  r.counter('rebuffers');
  r.counter('failovers').add(3);
  r.gauge('viewers').set(300);
  r.trend('rebuffer_ratio', { unit: 'ratio' });
  return r;
}

describe('evaluateThreshold', () => {
  const r = registry();
  const ev = (text: string) => evaluateThreshold(parseThreshold(text), r);

  it('passes and fails with the observed value', () => {
    // percentiles are the top of their HDR bucket: a hair (< 0.1%) above the exact 198, never below
    const p99 = ev('p99(start_ms)<200');
    expect(p99).toMatchObject({ pass: true, aggregate: 'p(99)' });
    expect(p99.observed).toBeGreaterThanOrEqual(198);
    expect(p99.observed).toBeLessThan(198 * 1.001);
    expect(ev('p99(start_ms)<190')).toMatchObject({ pass: false });
    expect(ev('max(start_ms)<=200')).toMatchObject({ pass: true, observed: 200 });
    expect(ev('avg(start_ms)==101')).toMatchObject({ pass: true, observed: 101 });
    const median = ev('p(50)(start_ms{endpoint:edge-b})>=150');
    expect(median.pass).toBe(true);
    expect(median.observed).toBeCloseTo(150, 0);
    expect(ev('count(start_ms{step:play})==100')).toMatchObject({ pass: true });
    expect(ev('rate(failed_plays)<0.001')).toMatchObject({ pass: false, observed: 0.001 });
    expect(ev('failed_plays<=0.1%')).toMatchObject({ pass: true, aggregate: 'rate', observed: 0.001 });
    expect(ev('count(failed_plays)==1')).toMatchObject({ pass: true });
  });

  it('reads a bare name as the natural aggregate of its kind', () => {
    expect(ev('rebuffers==0')).toMatchObject({ pass: true, aggregate: 'count', observed: 0 });
    expect(ev('failovers==0')).toMatchObject({ pass: false, aggregate: 'count', observed: 3 });
    expect(ev('viewers>=300')).toMatchObject({ pass: true, aggregate: 'value', observed: 300 });
    expect(ev('start_ms<150')).toMatchObject({ pass: true, aggregate: 'avg', observed: 101 });
  });

  it('fails without samples, saying so (no evidence is no pass)', () => {
    expect(ev('avg(rebuffer_ratio)<0.01')).toMatchObject({
      pass: false,
      observed: undefined,
      reason: 'no samples',
    });
    expect(ev('p99(start_ms{endpoint:edge-c})<200')).toMatchObject({ pass: false, reason: 'no samples' });
    // but a count of nothing is 0
    expect(ev('count(rebuffer_ratio)==0')).toMatchObject({ pass: true, observed: 0 });
  });

  it('fails an unknown metric or an aggregate its kind lacks', () => {
    expect(ev('p99(strat_ms)<200')).toMatchObject({ pass: false, reason: 'no metric named strat_ms' });
    expect(ev('p99(rebuffers)<1')).toMatchObject({ pass: false, reason: 'a counter has no p(99)' });
  });
});

describe('checkThresholds', () => {
  const r = registry();
  it('accepts thresholds the metrics can answer', () => {
    expect(() =>
      checkThresholds(
        parseThresholds(['p99(start_ms)<1', 'failed_plays==0', 'max(viewers)<1', 'count(failed_plays)<1']),
        r,
      ),
    ).not.toThrow();
  });
  it('names an unknown metric and lists the known ones', () => {
    const e = usageError(() => checkThresholds([parseThreshold('p99(strat_ms)<200')], r));
    expect(e.message).toBe('threshold "p99(strat_ms)<200": no metric named strat_ms');
    expect(e.nextStep).toContain('start_ms');
  });
  it('names an aggregate the kind lacks and lists what it has', () => {
    const e = usageError(() => checkThresholds([parseThreshold('p99(failovers)<1')], r));
    expect(e.message).toMatch(/failovers is a counter, which has no p\(99\)/);
    expect(e.nextStep).toBe('a counter has count');
    expect(() => checkThresholds([parseThreshold('rate(viewers)<1')], r)).toThrow(/gauge, which has no rate/);
    expect(() => checkThresholds([parseThreshold('avg(failed_plays)<1')], r)).toThrow(
      /rate, which has no avg/,
    );
  });
});

describe('evaluateThresholds', () => {
  it('passes when all pass', () => {
    const out = evaluateThresholds(parseThresholds(['p99(start_ms)<200', 'failed_plays<1%']), registry());
    expect(out).toMatchObject({ passed: true, abort: false, abortedBy: [] });
    expect(out.results).toHaveLength(2);
  });

  it('aborts on an abortOnFail failure, once past its delay', () => {
    const ts = parseThresholds(['p99(start_ms)<100:abortOnFail=30s', 'rate(failed_plays)<0.0001']);
    const early = evaluateThresholds(ts, registry(), { elapsedMs: 10_000 });
    expect(early).toMatchObject({ passed: false, abort: false });
    const later = evaluateThresholds(ts, registry(), { elapsedMs: 30_000 });
    expect(later).toMatchObject({
      passed: false,
      abort: true,
      abortedBy: ['p99(start_ms)<100:abortOnFail=30s'],
    });
    // the final evaluation (no elapsed time) always may
    expect(evaluateThresholds(ts, registry()).abort).toBe(true);
  });

  it('never aborts on no samples (nothing measured yet)', () => {
    const out = evaluateThresholds(parseThresholds(['avg(rebuffer_ratio)<0.01:abortOnFail']), registry(), {
      elapsedMs: 60_000,
    });
    expect(out).toMatchObject({ passed: false, abort: false });
  });
});
