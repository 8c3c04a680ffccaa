import { ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { RequestSampler } from './tracing.js';

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const under = (flags: TraceFlags) =>
  trace.setSpanContext(ROOT_CONTEXT, {
    traceId,
    spanId: '00f067aa0ba902b7',
    traceFlags: flags,
    isRemote: true,
  });

describe('which spans are traced', () => {
  it("keeps the caller's decision under a caller's span, wherever the service is", () => {
    const behind = new RequestSampler(0, false);
    expect(behind.shouldSample(under(TraceFlags.SAMPLED), traceId, 'x', SpanKind.CLIENT).decision).toBe(
      SamplingDecision.RECORD_AND_SAMPLED,
    );
    expect(behind.shouldSample(under(TraceFlags.NONE), traceId, 'x', SpanKind.SERVER).decision).toBe(
      SamplingDecision.NOT_RECORD,
    );
  });

  it('starts a trace only at a request received where viewers enter, for the sampled share', () => {
    const entry = new RequestSampler(1, true);
    expect(entry.shouldSample(ROOT_CONTEXT, traceId, 'GET', SpanKind.SERVER).decision).toBe(
      SamplingDecision.RECORD_AND_SAMPLED,
    );
    // background work: a call made outside any request, or a request to an inner service
    expect(entry.shouldSample(ROOT_CONTEXT, traceId, 'PUT', SpanKind.CLIENT).decision).toBe(
      SamplingDecision.NOT_RECORD,
    );
    expect(
      new RequestSampler(1, false).shouldSample(ROOT_CONTEXT, traceId, 'GET', SpanKind.SERVER).decision,
    ).toBe(SamplingDecision.NOT_RECORD);
    expect(
      new RequestSampler(0, true).shouldSample(ROOT_CONTEXT, traceId, 'GET', SpanKind.SERVER).decision,
    ).toBe(SamplingDecision.NOT_RECORD);
  });
});
