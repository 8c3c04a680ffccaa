/** Stops a listener from being called again. Calling it twice is harmless. */
export type Unsubscribe = () => void;

/** Registers a listener and returns how to remove it (cockatiel's `Event<T>`). */
export type Event<T> = (listener: (value: T) => void) => Unsubscribe;

/** A minimal synchronous event source behind each policy's `on...` events. */
export class Emitter<T> {
  private readonly listeners = new Set<(value: T) => void>();

  /** The public side: `policy.onX = emitter.event`. */
  readonly event: Event<T> = (listener) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  /** Calls every listener with `value`; a listener that throws is a bug and is not hidden. */
  emit(value: T): void {
    for (const listener of [...this.listeners]) listener(value);
  }
}
