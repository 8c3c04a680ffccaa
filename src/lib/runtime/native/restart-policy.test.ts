import { describe, expect, it } from 'vitest';
import { restartsInWindow, shouldRestart } from './restart-policy.js';

const killed = { code: null, signal: 'SIGKILL' };
const clean = { code: 0, signal: null };
const crashed = { code: 1, signal: null };
const policy = (p: 'always' | 'on-failure' | 'never', maxRestarts: number, windowSeconds = 600) => ({
  policy: p,
  maxRestarts,
  windowSeconds,
  backoffMs: 0,
});
const now = 10_000_000;

describe('restart policy', () => {
  it('on-failure restarts crashes and kills, not a clean exit', () => {
    const p = policy('on-failure', 3);
    expect(shouldRestart(p, killed, [], now)).toBe(true);
    expect(shouldRestart(p, crashed, [now - 2000, now - 1000], now)).toBe(true);
    expect(shouldRestart(p, clean, [], now)).toBe(false);
  });

  it('stops restarting once the budget of the window is spent', () => {
    const p = policy('always', 2);
    expect(shouldRestart(p, clean, [now - 2000, now - 1000], now)).toBe(false);
    expect(shouldRestart(p, clean, [now - 1000], now)).toBe(true);
  });

  it('restarts again once earlier restarts have left the window', () => {
    const p = policy('on-failure', 2, 60);
    const old = [now - 120_000, now - 90_000];
    expect(restartsInWindow(p, old, now)).toBe(0);
    expect(shouldRestart(p, killed, old, now)).toBe(true);
    expect(shouldRestart(p, killed, [...old, now - 30_000, now - 5000], now)).toBe(false);
  });

  it('never means never', () => {
    expect(shouldRestart(policy('never', 9), killed, [], now)).toBe(false);
  });
});
