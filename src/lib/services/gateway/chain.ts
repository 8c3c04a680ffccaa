import { jsonError } from './errors.js';
import { FILTER_TYPES, type Filter, type FilterType, type RequestContext } from './filter.js';

/** Zuul's default per-filter concurrency limit. */
export const DEFAULT_FILTER_CONCURRENCY = 4000;

/** A chain was built from filters that cannot work together: a bug in the gateway's wiring. */
export class FilterChainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FilterChainError';
  }
}

export interface FilterChainOptions {
  /** Per-filter concurrency limit for filters that do not set `maxConcurrency`. */
  defaultMaxConcurrency?: number;
  /** Told about every filter that throws (the client only sees a 500 naming the filter). */
  onFilterError?: (filter: string, error: unknown) => void;
}

/** One row of `flix gateway filters`. */
export interface FilterRow {
  name: string;
  type: FilterType;
  order: number;
  enabled: boolean;
  maxConcurrency: number;
  inFlight: number;
  runs: number;
  errors: number;
  rejections: number;
  skipped: number;
}

interface Slot {
  readonly filter: Filter;
  readonly maxConcurrency: number;
  enabled: boolean;
  inFlight: number;
  runs: number;
  errors: number;
  rejections: number;
  skipped: number;
}

function validLimit(limit: number, what: string): number {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new FilterChainError(`${what} must be an integer ≥ 1, not ${limit}`);
  }
  return limit;
}

/**
 * Runs filters Zuul-style: inbound by order, then endpoint, then outbound. A response set by any
 * inbound or endpoint filter skips the rest of both; outbound filters always run. A filter that
 * throws turns into a 500 and one over its concurrency limit into a 503, and the chain carries on
 * with outbound — `run` never rejects.
 */
export class FilterChain {
  private readonly slots = new Map<string, Slot>();
  private readonly byType: Record<FilterType, Slot[]> = { inbound: [], endpoint: [], outbound: [] };
  private readonly onFilterError: (filter: string, error: unknown) => void;

  constructor(filters: readonly Filter[], options: FilterChainOptions = {}) {
    const defaultLimit = validLimit(
      options.defaultMaxConcurrency ?? DEFAULT_FILTER_CONCURRENCY,
      'defaultMaxConcurrency',
    );
    this.onFilterError = options.onFilterError ?? (() => {});
    for (const filter of filters) {
      const label = typeof filter.name === 'string' && filter.name !== '' ? filter.name : undefined;
      if (!label) throw new FilterChainError('every filter needs a non-empty name');
      if (!(FILTER_TYPES as readonly string[]).includes(filter.type)) {
        throw new FilterChainError(
          `filter ${label} has unknown type "${String(filter.type)}"; expected one of ${FILTER_TYPES.join(', ')}`,
        );
      }
      if (!Number.isFinite(filter.order)) {
        throw new FilterChainError(`filter ${label} needs a finite order, not ${filter.order}`);
      }
      if (this.slots.has(label)) throw new FilterChainError(`duplicate filter name: ${label}`);
      const maxConcurrency =
        filter.maxConcurrency === undefined
          ? defaultLimit
          : validLimit(filter.maxConcurrency, `filter ${label} maxConcurrency`);
      const slot: Slot = {
        filter,
        maxConcurrency,
        enabled: true,
        inFlight: 0,
        runs: 0,
        errors: 0,
        rejections: 0,
        skipped: 0,
      };
      this.slots.set(label, slot);
      this.byType[filter.type].push(slot);
    }
    // Array#sort is stable: equal orders keep the order they were given in.
    for (const type of FILTER_TYPES) this.byType[type].sort((a, b) => a.filter.order - b.filter.order);
  }

  /** Kill switch: a disabled filter is skipped until enabled again. */
  disable(name: string): void {
    this.slot(name).enabled = false;
  }

  enable(name: string): void {
    this.slot(name).enabled = true;
  }

  isEnabled(name: string): boolean {
    return this.slot(name).enabled;
  }

  /** Every filter in run order with its switch and counters. */
  describe(): FilterRow[] {
    return FILTER_TYPES.flatMap((type) =>
      this.byType[type].map((s) => ({
        name: s.filter.name,
        type,
        order: s.filter.order,
        enabled: s.enabled,
        maxConcurrency: s.maxConcurrency,
        inFlight: s.inFlight,
        runs: s.runs,
        errors: s.errors,
        rejections: s.rejections,
        skipped: s.skipped,
      })),
    );
  }

  /** Runs the request through the chain and returns the same context. */
  async run(ctx: RequestContext): Promise<RequestContext> {
    for (const slot of [...this.byType.inbound, ...this.byType.endpoint]) {
      if (ctx.response) slot.skipped++;
      else await this.runOne(slot, ctx);
    }
    for (const slot of this.byType.outbound) await this.runOne(slot, ctx);
    return ctx;
  }

  private slot(name: string): Slot {
    const slot = this.slots.get(name);
    if (!slot) {
      throw new FilterChainError(`no filter named ${name}; known: ${[...this.slots.keys()].join(', ')}`);
    }
    return slot;
  }

  private async runOne(slot: Slot, ctx: RequestContext): Promise<void> {
    const { filter } = slot;
    let wanted: boolean;
    try {
      wanted = slot.enabled && filter.shouldFilter(ctx);
    } catch (error) {
      this.fail(slot, ctx, error);
      return;
    }
    if (!wanted) {
      slot.skipped++;
      return;
    }
    if (slot.inFlight >= slot.maxConcurrency) {
      slot.rejections++;
      ctx.response = jsonError(
        503,
        'filter_concurrency_exceeded',
        'The gateway is busy; try again shortly.',
        {
          filter: filter.name,
        },
      );
      return;
    }
    slot.inFlight++;
    slot.runs++;
    try {
      await filter.apply(ctx);
    } catch (error) {
      this.fail(slot, ctx, error);
    } finally {
      slot.inFlight--;
    }
  }

  private fail(slot: Slot, ctx: RequestContext, error: unknown): void {
    slot.errors++;
    ctx.response = jsonError(500, 'filter_failed', 'The gateway failed to handle the request.', {
      filter: slot.filter.name,
    });
    try {
      this.onFilterError(slot.filter.name, error);
    } catch {
      // A broken error hook must not break the chain either.
    }
  }
}
