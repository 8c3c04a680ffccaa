import type { Clock, TimerHandle } from '../core/clock.js';
import { FlixError } from '../core/errors.js';

/**
 * The toxics of the chaos proxy, after Toxiproxy's: each is a setting (what the operator asked
 * for) and, per connection and direction, a stage that the bytes of that direction go through.
 * A stage sees the stream as an ordered list of items — chunks of data, then at most one end (the
 * sender's FIN) — and passes them on, late, sliced, or not at all. Stages touch no socket: the
 * time, the randomness and what "close" and "reset" mean are passed in, so the timing logic is
 * tested with a fake clock.
 */

/**
 * The direction a toxic acts on, named as Toxiproxy names them: `upstream` is client → server
 * (requests), `downstream` is server → client (answers), `both` is each of them.
 */
export type ToxicStream = 'upstream' | 'downstream' | 'both';
export type Direction = 'upstream' | 'downstream';

/** The kinds of toxic and their settings (all times in milliseconds). */
export type ToxicAttributes =
  /** Every chunk is delayed by latencyMs ± jitterMs (uniform), in order: a chunk never overtakes an earlier one. */
  | { type: 'latency'; latencyMs: number; jitterMs?: number }
  /** At most `kbps` kilobits (1000 bits) per second, like `flix play --bandwidth 800kbps`. */
  | { type: 'bandwidth'; kbps: number }
  /** Nothing gets through (the data is dropped); the connection is closed after `ms`, or never when 0. */
  | { type: 'timeout'; ms: number }
  /** The connection is reset (TCP RST both ways) `timeoutMs` after the toxic meets it (default 0: at once). */
  | { type: 'reset_peer'; timeoutMs?: number }
  /** The sender's FIN is passed on `delayMs` late. */
  | { type: 'slow_close'; delayMs: number };
export type ToxicType = ToxicAttributes['type'];

/** What `addToxic` takes: the attributes, and optionally a name, a direction and a toxicity. */
export type ToxicSpec = ToxicAttributes & {
  /** Unique on its proxy; defaults to `<type>_<stream>` as in Toxiproxy. */
  name?: string;
  /** Default `both`. */
  stream?: ToxicStream;
  /** The chance (0..1) that the toxic applies to a given connection, decided once per connection. Default 1. */
  toxicity?: number;
};

/** A toxic as a proxy holds it: every field filled in. */
export type Toxic = ToxicAttributes & { name: string; stream: ToxicStream; toxicity: number };

/** The directions a toxic acts on. */
export function directionsOf(stream: ToxicStream): Direction[] {
  return stream === 'both' ? ['upstream', 'downstream'] : [stream];
}

/** The longest delay Node's timers accept. */
const MAX_TIMER_MS = 2_147_483_647;

/** Checks a spec and fills in its defaults; a setting that makes no sense is the user's to fix. */
export function parseToxic(spec: ToxicSpec): Toxic {
  const stream = spec.stream ?? 'both';
  if (stream !== 'upstream' && stream !== 'downstream' && stream !== 'both') {
    throw invalid(`unknown stream '${String(stream)}'`, 'use upstream, downstream or both');
  }
  const toxicity = spec.toxicity ?? 1;
  if (!(toxicity >= 0 && toxicity <= 1)) {
    throw invalid(`toxicity must be between 0 and 1, not ${toxicity}`, 'give the chance as a fraction: 0.25');
  }
  const name = spec.name ?? `${spec.type}_${stream}`;
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) {
    throw invalid(`toxic name '${name}' is not allowed`, 'use at most 64 letters, digits, ".", "_" or "-"');
  }
  const base = { name, stream, toxicity };
  const ms = (field: string, value: number | undefined, orZero = true): number => {
    const v = value ?? 0;
    const ok = Number.isFinite(v) && v <= MAX_TIMER_MS && (orZero ? v >= 0 : v > 0);
    if (!ok)
      throw invalid(`${spec.type}: ${field} must be ${orZero ? '0 or more' : 'more than 0'} ms, not ${v}`);
    return v;
  };
  switch (spec.type) {
    case 'latency': {
      const latencyMs = ms('latencyMs', spec.latencyMs);
      const jitterMs = ms('jitterMs', spec.jitterMs);
      return { ...base, type: 'latency', latencyMs, jitterMs };
    }
    case 'bandwidth':
      if (!(Number.isFinite(spec.kbps) && spec.kbps > 0)) {
        throw invalid(
          `bandwidth: kbps must be more than 0, not ${spec.kbps}`,
          'use timeout to stop all data',
        );
      }
      return { ...base, type: 'bandwidth', kbps: spec.kbps };
    case 'timeout':
      return { ...base, type: 'timeout', ms: ms('ms', spec.ms) };
    case 'reset_peer':
      return { ...base, type: 'reset_peer', timeoutMs: ms('timeoutMs', spec.timeoutMs) };
    case 'slow_close':
      return { ...base, type: 'slow_close', delayMs: ms('delayMs', spec.delayMs) };
    default:
      throw invalid(
        `unknown toxic type '${String((spec as { type: unknown }).type)}'`,
        'use latency, bandwidth, timeout, reset_peer or slow_close',
      );
  }
}

function invalid(message: string, nextStep?: string): FlixError {
  return new FlixError(message, { code: 'invalidInput', nextStep });
}

/** One item of a direction's stream: a chunk of data, or null for its end (the FIN). */
export type Item = Buffer | null;

/** What a stage may do besides passing items on. */
export interface StageContext {
  clock: Clock;
  /** Uniform in [0, 1), for jitter. */
  random: () => number;
  /** The stage discarded `bytes` (so the link's count of bytes held back stays right). */
  dropped(bytes: number): void;
  /** Closes the whole connection, both sockets. */
  close(): void;
  /** Resets the whole connection (RST to the client and to the server). */
  reset(): void;
}

/** A toxic at work on one direction of one connection. */
export interface Stage {
  /** Where the stage's output goes: the next stage, or the destination socket. Set by the link. */
  next: (item: Item) => void;
  push(item: Item): void;
  /**
   * The toxic is being removed: everything held back goes on at once, in order, so removing a
   * toxic loses no data it was only delaying (Toxiproxy does the same).
   */
  flush(): void;
  /** The connection is gone or the toxic removed: cancel the timers. */
  dispose(): void;
}

const unlinked = (): void => {
  throw new Error('stage used before the link set its output');
};

/**
 * Items released in order at times the subclass chooses (never earlier than an item before them),
 * with one timer for the head of the queue rather than one per chunk.
 */
abstract class ScheduledStage implements Stage {
  next: (item: Item) => void = unlinked;
  private queue: { item: Item; due: number }[] = [];
  private lastDue = Number.NEGATIVE_INFINITY;
  private timer: TimerHandle | undefined;

  constructor(protected readonly ctx: StageContext) {}

  abstract push(item: Item): void;

  /** Queues `item` for `due` (or right after the item before it, whichever is later). */
  protected enqueue(item: Item, due: number): void {
    const at = Math.max(due, this.lastDue);
    this.lastDue = at;
    if (this.queue.length === 0 && at <= this.ctx.clock.now()) {
      // due already (a latency of 0, an idle link): no timer, whose least wait is a millisecond
      this.next(item);
      return;
    }
    this.queue.push({ item, due: at });
    if (this.queue.length === 1) this.schedule();
  }

  /** When the last queued item goes out (or -Infinity when none was ever queued). */
  protected get tail(): number {
    return this.lastDue;
  }

  private schedule(): void {
    const head = this.queue[0];
    if (!head) return;
    this.timer = this.ctx.clock.setTimeout(
      () => this.release(),
      Math.max(0, head.due - this.ctx.clock.now()),
    );
  }

  private release(): void {
    this.timer = undefined;
    const now = this.ctx.clock.now();
    let n = 0;
    while (n < this.queue.length && (this.queue[n] as { due: number }).due <= now) n++;
    const due = this.queue.splice(0, n);
    for (const { item } of due) this.next(item);
    this.schedule();
  }

  flush(): void {
    this.dispose();
    const all = this.queue.splice(0);
    for (const { item } of all) this.next(item);
  }

  dispose(): void {
    if (this.timer !== undefined) this.ctx.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** latency: each chunk waits latency ± jitter after it arrived; the end follows the last chunk. */
class LatencyStage extends ScheduledStage {
  constructor(
    ctx: StageContext,
    private readonly latencyMs: number,
    private readonly jitterMs: number,
  ) {
    super(ctx);
  }

  push(item: Item): void {
    const now = this.ctx.clock.now();
    if (item === null) {
      this.enqueue(null, now);
      return;
    }
    const jitter = this.jitterMs > 0 ? (this.ctx.random() * 2 - 1) * this.jitterMs : 0;
    this.enqueue(item, now + Math.max(0, this.latencyMs + jitter));
  }
}

/** Slices of at most this much time on the wire, so a slow link delivers steadily, not in bursts. */
const BANDWIDTH_SLICE_MS = 100;

/**
 * bandwidth: a chunk leaves when the link would have finished sending it at the rate, counted
 * from when the link was free (the end of the previous chunk, or now if it was idle). Release
 * times are absolute, so timer lateness does not add up over a long transfer.
 */
class BandwidthStage extends ScheduledStage {
  private readonly bytesPerMs: number;
  private readonly sliceBytes: number;

  constructor(ctx: StageContext, kbps: number) {
    super(ctx);
    this.bytesPerMs = kbps / 8;
    this.sliceBytes = Math.max(1, Math.floor(this.bytesPerMs * BANDWIDTH_SLICE_MS));
  }

  push(item: Item): void {
    const now = this.ctx.clock.now();
    if (item === null) {
      this.enqueue(null, now);
      return;
    }
    for (let at = 0; at < item.length; at += this.sliceBytes) {
      const slice = item.subarray(at, at + this.sliceBytes);
      const start = Math.max(now, this.tail);
      this.enqueue(slice, start + slice.length / this.bytesPerMs);
    }
  }
}

/** A stage with at most one timer of its own. */
abstract class TimerStage implements Stage {
  next: (item: Item) => void = unlinked;
  private timer: TimerHandle | undefined;

  constructor(protected readonly ctx: StageContext) {}

  abstract push(item: Item): void;

  protected after(ms: number, fn: () => void): void {
    this.dispose();
    this.timer = this.ctx.clock.setTimeout(() => {
      this.timer = undefined;
      fn();
    }, ms);
  }

  flush(): void {}

  dispose(): void {
    if (this.timer !== undefined) this.ctx.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * timeout: the data is dropped, as an unreachable peer would never see it; the connection is
 * closed `ms` after the toxic met it, or held open until the toxic goes when `ms` is 0 (a
 * blackhole at the application level: connects succeed, nothing answers). The sender's end is
 * passed on, as Toxiproxy does.
 */
class TimeoutStage extends TimerStage {
  constructor(ctx: StageContext, ms: number) {
    super(ctx);
    if (ms > 0) this.after(ms, () => ctx.close());
  }

  push(item: Item): void {
    if (item === null) this.next(null);
    else this.ctx.dropped(item.length);
  }
}

/** reset_peer: RST both ways `timeoutMs` after the toxic met the connection; the data until then is dropped. */
class ResetPeerStage extends TimerStage {
  constructor(ctx: StageContext, timeoutMs: number) {
    super(ctx);
    this.after(timeoutMs, () => ctx.reset());
  }

  push(item: Item): void {
    if (item !== null) this.ctx.dropped(item.length);
  }
}

/** slow_close: data passes untouched; the end waits `delayMs`. */
class SlowCloseStage extends TimerStage {
  private ending = false;

  constructor(
    ctx: StageContext,
    private readonly delayMs: number,
  ) {
    super(ctx);
  }

  push(item: Item): void {
    if (item !== null) {
      this.next(item);
      return;
    }
    this.ending = true;
    this.after(this.delayMs, () => {
      this.ending = false;
      this.next(null);
    });
  }

  override flush(): void {
    this.dispose();
    if (this.ending) this.next(null);
    this.ending = false;
  }
}

/** The stage of `toxic` for one direction of one connection. */
export function createStage(toxic: Toxic, ctx: StageContext): Stage {
  switch (toxic.type) {
    case 'latency':
      return new LatencyStage(ctx, toxic.latencyMs, toxic.jitterMs ?? 0);
    case 'bandwidth':
      return new BandwidthStage(ctx, toxic.kbps);
    case 'timeout':
      return new TimeoutStage(ctx, toxic.ms);
    case 'reset_peer':
      return new ResetPeerStage(ctx, toxic.timeoutMs ?? 0);
    case 'slow_close':
      return new SlowCloseStage(ctx, toxic.delayMs);
  }
}
