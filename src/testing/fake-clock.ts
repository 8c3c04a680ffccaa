import type { Clock, TimerHandle } from '../../src/lib/core/clock.js';

/** Resolves after every promise callback queued so far (and those they queue) has run. */
export function flushPromises(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

interface FakeTimer {
  id: number;
  dueAt: number;
  callback: () => void;
}

/**
 * A Clock for tests: time stands still until `advance` moves it, firing due timers in order and
 * letting promise callbacks run between them, so a test reads like a timeline.
 */
export class FakeClock implements Clock {
  private time: number;
  private nextId = 1;
  private timers: FakeTimer[] = [];

  constructor(startMs = 0) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.push({ id, dueAt: this.time + Math.max(0, ms), callback });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Timers that have not fired nor been cleared. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, earliest first. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    await flushPromises();
    for (;;) {
      const due = this.timers
        .filter((t) => t.dueAt <= target)
        .sort((a, b) => a.dueAt - b.dueAt || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = due.dueAt;
      due.callback();
      await flushPromises();
    }
    this.time = target;
    await flushPromises();
  }
}
