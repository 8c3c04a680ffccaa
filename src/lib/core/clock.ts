/**
 * Time as a side effect passed in, so tests control it: every policy that reads the time or waits takes a
 * Clock, so unit tests drive it with a FakeClock instead of sleeping.
 */

/** An opaque handle returned by Clock.setTimeout, only good for Clock.clearTimeout. */
export type TimerHandle = unknown;

/** The time and one-shot timers: what the policies need from the outside world. */
export interface Clock {
  /** Milliseconds since the epoch (or since any fixed origin, for a fake clock). */
  now(): number;
  /** Calls `callback` once after `ms` milliseconds. */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  /** Cancels a timer; a handle that already fired or was cleared is ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock: Date.now and the global timers. The default everywhere. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
