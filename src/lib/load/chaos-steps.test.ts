import { describe, expect, it } from 'vitest';
import { FlixError } from '../core/errors.js';
import { type ChaosStep, formatChaosStep, parseChaos } from './chaos-steps.js';

function usage(fn: () => unknown): FlixError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FlixError);
    expect((e as FlixError).exitCode).toBe(2);
    return e as FlixError;
  }
  throw new Error('expected a usage error');
}

const cluster = {
  components: ['gateway-a-1', 'gateway-b-1', 'edge-a', 'edge-b', 'playback-a-1', 'elb-1', 'memcached-a'],
  zones: ['a', 'b'],
};

describe('parseChaos', () => {
  it('reads the example into a time-sorted plan', () => {
    expect(parseChaos('kill-zone b@40s,heal@70s,latency gateway 300ms@10s')).toEqual([
      { atMs: 10_000, action: 'latency', args: { component: 'gateway', delayMs: 300, jitterMs: 0 } },
      { atMs: 40_000, action: 'kill-zone', args: { zone: 'b' } },
      { atMs: 70_000, action: 'heal', args: { all: false } },
    ] satisfies ChaosStep[]);
  });

  it('reads every action', () => {
    const steps = parseChaos(
      [
        'kill edge-a@1s',
        'kill-zone a@2s',
        'pause playback-a-1@3s',
        'latency gateway-b 250 50@4s',
        'latency edge 0.5s 100ms@5s',
        'partition a b@6s',
        'blackhole memcached-a@7s',
        'heal --all@8s',
      ].join(', '),
      cluster,
    );
    expect(steps).toEqual([
      { atMs: 1000, action: 'kill', args: { component: 'edge-a' } },
      { atMs: 2000, action: 'kill-zone', args: { zone: 'a' } },
      { atMs: 3000, action: 'pause', args: { component: 'playback-a-1' } },
      { atMs: 4000, action: 'latency', args: { component: 'gateway-b', delayMs: 250, jitterMs: 50 } },
      { atMs: 5000, action: 'latency', args: { component: 'edge', delayMs: 500, jitterMs: 100 } },
      { atMs: 6000, action: 'partition', args: { zones: ['a', 'b'] } },
      { atMs: 7000, action: 'blackhole', args: { component: 'memcached-a' } },
      { atMs: 8000, action: 'heal', args: { all: true } },
    ]);
  });

  it('keeps the written order of steps at one time, and takes several texts', () => {
    const steps = parseChaos(['heal@10s,kill edge-a@5s', 'kill edge-b@10s,pause elb-1@5s']);
    expect(steps.map((s) => `${s.action}@${s.atMs}`)).toEqual([
      'kill@5000',
      'pause@5000',
      'heal@10000',
      'kill@10000',
    ]);
  });

  it('takes an empty list of texts, and spaces around everything', () => {
    expect(parseChaos([])).toEqual([]);
    expect(parseChaos('  kill   edge-a  @ 1m30s ')).toEqual([
      { atMs: 90_000, action: 'kill', args: { component: 'edge-a' } },
    ]);
  });

  it.each([
    ['kill edge-a', /"kill edge-a": no time: end the step with @TIME/],
    ['kill edge-a@soon', /"soon" after @ is not a time/],
    ['kill edge-a@-5s', /"-5s" after @ is not a time/],
    ['@5s', /no action before @/],
    ['explode edge-a@5s', /unknown action "explode"/],
    ['kill@5s', /kill takes <component>/],
    ['kill edge-a edge-b@5s', /kill takes <component>/],
    ['kill-zone@5s', /kill-zone takes <zone>/],
    ['latency gateway@5s', /latency takes <component> <ms> \[jitter\]/],
    ['latency gateway fast@5s', /the delay "fast" is not a duration/],
    ['latency gateway 0@5s', /the delay must be above 0/],
    ['latency gateway 100ms 200ms@5s', /the jitter \(200ms\) is larger than the delay \(100ms\)/],
    ['partition a@5s', /partition takes <zoneA> <zoneB>/],
    ['partition a a@5s', /cannot be partitioned from itself \(a\)/],
    ['heal now@5s', /heal takes only --all, not "now"/],
    ['heal --all extra@5s', /heal takes/],
    ['kill Edge_A@5s', /"Edge_A" is not a component name/],
    ['kill-zone B!@5s', /"B!" is not a zone name/],
  ])('refuses %j', (text, message) => {
    const e = usage(() => parseChaos(text));
    expect(e.message).toMatch(message);
    expect(e.message.startsWith('--chaos ')).toBe(true);
  });

  it('names the step that is wrong among several', () => {
    const e = usage(() => parseChaos('kill edge-a@5s,,heal@10s'));
    expect(e.message).toBe('--chaos step 2 "": the step is empty (two commas in a row, or one at an end?)');
    const e2 = usage(() => parseChaos('kill edge-a@5s,heal@1o s'));
    expect(e2.message).toMatch(/^--chaos step 2 "heal@1o s": "1o s" after @ is not a time/);
  });

  it('checks components, zones and times against the cluster and the run when given them', () => {
    const opts = { ...cluster, durationMs: 60_000 };
    expect(() => parseChaos('kill gateway@5s,kill gateway-a@6s,kill gateway-a-1@7s', opts)).not.toThrow();
    const e = usage(() => parseChaos('kill gatway@5s', opts));
    expect(e.message).toMatch(/no component "gatway" \(nor any gatway-\*\)/);
    expect(e.nextStep).toContain('gateway-a-1');
    // a prefix must end at a dash: "gate" is no group
    expect(() => parseChaos('kill gate@5s', opts)).toThrow(/no component "gate"/);
    const z = usage(() => parseChaos('kill-zone c@5s', opts));
    expect(z.message).toMatch(/no zone "c"/);
    expect(z.nextStep).toBe('the zones are: a, b');
    expect(() => parseChaos('partition a c@5s', opts)).toThrow(/no zone "c"/);
    const late = usage(() => parseChaos('heal@90s', opts));
    expect(late.message).toMatch(/at 90s, not before the run ends \(1m\)/);
  });
});

describe('formatChaosStep', () => {
  it('writes steps back in --chaos form, which parses to the same steps', () => {
    const text =
      'latency gateway 300ms 50ms@10s,kill-zone b@40s,partition a b@1m,heal --all@1m30s,kill edge-a@250ms';
    const steps = parseChaos(text);
    const written = steps.map(formatChaosStep);
    expect(written).toEqual([
      'kill edge-a@250ms',
      'latency gateway 300ms 50ms@10s',
      'kill-zone b@40s',
      'partition a b@1m',
      'heal --all@90s',
    ]);
    expect(parseChaos(written.join(','))).toEqual(steps);
  });
});
