import { describe, expect, it } from 'vitest';
import { shouldRestart } from './restart-policy.js';

const killed = { code: null, signal: 'SIGKILL' };
const clean = { code: 0, signal: null };
const crashed = { code: 1, signal: null };

describe('restart policy', () => {
  it('on-failure restarts crashes and kills, not a clean exit', () => {
    const p = { policy: 'on-failure' as const, maxRestarts: 3, backoffMs: 0 };
    expect(shouldRestart(p, killed, 0)).toBe(true);
    expect(shouldRestart(p, crashed, 2)).toBe(true);
    expect(shouldRestart(p, clean, 0)).toBe(false);
  });

  it('stops restarting after maxRestarts', () => {
    expect(shouldRestart({ policy: 'always', maxRestarts: 2, backoffMs: 0 }, clean, 2)).toBe(false);
    expect(shouldRestart({ policy: 'always', maxRestarts: 2, backoffMs: 0 }, clean, 1)).toBe(true);
  });

  it('never means never', () => {
    expect(shouldRestart({ policy: 'never', maxRestarts: 9, backoffMs: 0 }, killed, 0)).toBe(false);
  });
});
