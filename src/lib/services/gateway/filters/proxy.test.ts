import { describe, expect, it } from 'vitest';
import { BrokenCircuitError, TimeoutError } from '../../../platform/resilience/index.js';
import { UpstreamError } from '../../../platform/service-client.js';
import { answerText, upstreamFailureCode } from './proxy.js';

describe('upstreamFailureCode', () => {
  it('names the reason of a 503', () => {
    expect(upstreamFailureCode(new BrokenCircuitError('open', 'failures'))).toBe('circuit-open');
    expect(
      upstreamFailureCode(new UpstreamError('catalog', 503, 'no instance of catalog is registered')),
    ).toBe('no-instance');
    expect(upstreamFailureCode(new UpstreamError('catalog', 500, 'catalog (c1): boom'))).toBe(
      'upstream-failed',
    );
    expect(upstreamFailureCode(new TimeoutError(1000))).toBe('upstream-failed');
  });
});

describe('answerText', () => {
  it('sends bodies back as they came', () => {
    expect(answerText({ error: { code: 'not-found' } })).toBe('{"error":{"code":"not-found"}}');
    expect(answerText('plain')).toBe('plain');
    expect(answerText(undefined)).toBe('');
    expect(answerText(null)).toBe('null');
  });
});
