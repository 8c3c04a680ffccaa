import { describe, expect, it } from 'vitest';
import { InternalSigner, InternalVerifier } from './internal-auth.js';

describe('internal tokens', () => {
  const key = 'k'.repeat(43);
  let now = 1_000_000;
  const clock = () => now;

  it('names the caller when the token was made with the cluster key', () => {
    const signer = new InternalSigner(key, 'gateway-a-1', clock);
    expect(new InternalVerifier(key, clock).verify(signer.header())).toBe('gateway-a-1');
  });

  it('refuses a missing, malformed, forged or foreign token', () => {
    const v = new InternalVerifier(key, clock);
    const good = new InternalSigner(key, 'gateway-a-1', clock).header();
    const [caller, exp, mac] = good.split('.');
    for (const bad of [
      undefined,
      '',
      'gateway-a-1',
      `${caller}.${exp}`,
      `operator.${exp}.${mac}`,
      `${caller}.${Number(exp) + 1}.${mac}`,
      `${caller}.${exp}.${mac?.slice(1)}`,
      new InternalSigner('another cluster key', 'gateway-a-1', clock).header(),
      ['a', 'b'],
    ]) {
      expect(v.verify(bad as string), String(bad)).toBeNull();
    }
  });

  it('refuses an expired token, even one it verified before', () => {
    const v = new InternalVerifier(key, clock);
    const t = new InternalSigner(key, 'users-a-1', clock).header();
    expect(v.verify(t)).toBe('users-a-1');
    now += 301;
    expect(v.verify(t)).toBeNull();
  });

  it('renews its token before it expires', () => {
    const signer = new InternalSigner(key, 'elb-1', clock);
    const first = signer.header();
    now += 100;
    expect(signer.header()).toBe(first);
    now += 150;
    const second = signer.header();
    expect(second).not.toBe(first);
    expect(new InternalVerifier(key, clock).verify(second)).toBe('elb-1');
  });

  it('refuses a token that claims to live longer than the cluster makes them', () => {
    const long = new InternalSigner(key, 'elb-1', () => now + 10_000).header();
    expect(new InternalVerifier(key, clock).verify(long)).toBeNull();
  });
});
