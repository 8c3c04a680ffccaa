import { createServer } from 'node:net';
import { FlixError } from '../core/errors.js';

export interface PortRequest {
  /** component name */
  component: string;
  /** port name within the component: broker, http, ... */
  port: string;
  /** a pinned port from the cluster file, or undefined for auto */
  pinned?: number;
}

export type PortAssignment = Record<string, Record<string, number>>;

export interface PortEnvironment {
  /** true when nothing listens on 127.0.0.1:port */
  isFree(port: number): Promise<boolean>;
}

export interface AssignOptions {
  /** ports this cluster had last time; reused while still free */
  previous?: PortAssignment;
  /** first port tried for auto assignment */
  rangeStart: number;
  rangeEnd: number;
}

/**
 * Assign every requested port. Pinned ports must be free (else a clear error naming the
 * component). Auto ports reuse last time's port when it is still free, else take the next free
 * port in the range that no other request of this cluster holds.
 */
export async function assignPorts(
  requests: PortRequest[],
  env: PortEnvironment,
  opts: AssignOptions,
): Promise<PortAssignment> {
  const taken = new Set<number>();
  const out: PortAssignment = {};
  const set = (r: PortRequest, p: number) => {
    out[r.component] ??= {};
    (out[r.component] as Record<string, number>)[r.port] = p;
    taken.add(p);
  };

  const pinned = requests.filter((r) => r.pinned !== undefined);
  for (const r of pinned) {
    const p = r.pinned as number;
    if (taken.has(p)) {
      throw new FlixError(`port ${p} is pinned twice (second time for ${r.component}.${r.port})`, {
        code: 'invalidConfig',
        nextStep: 'give each pinned port its own number in the cluster file',
      });
    }
    if (!(await env.isFree(p))) {
      throw new FlixError(`port ${p} (${r.component} ${r.port}) is already in use`, {
        code: 'portBusy',
        nextStep: `free it (\`ss -ltnp 'sport = :${p}'\` shows who holds it), or set the port to auto in the cluster file`,
      });
    }
    set(r, p);
  }

  const auto = requests.filter((r) => r.pinned === undefined);
  const previousPins = new Set(pinned.map((r) => r.pinned as number));
  let next = opts.rangeStart;
  for (const r of auto) {
    const prev = opts.previous?.[r.component]?.[r.port];
    if (prev !== undefined && !taken.has(prev) && !previousPins.has(prev) && (await env.isFree(prev))) {
      set(r, prev);
      continue;
    }
    let found: number | undefined;
    while (next <= opts.rangeEnd) {
      const candidate = next++;
      if (taken.has(candidate) || isReservedByPrevious(candidate, opts.previous, r)) continue;
      if (await env.isFree(candidate)) {
        found = candidate;
        break;
      }
    }
    if (found === undefined) {
      throw new FlixError(
        `no free port left in ${opts.rangeStart}-${opts.rangeEnd} for ${r.component}.${r.port}`,
        {
          code: 'portBusy',
          nextStep: 'stop another cluster (`flix down --name ...`) or pin ports in the cluster file',
        },
      );
    }
    set(r, found);
  }
  return out;
}

/** Don't hand a port that another component of this cluster had last time to a new one. */
function isReservedByPrevious(
  port: number,
  previous: PortAssignment | undefined,
  self: PortRequest,
): boolean {
  if (!previous) return false;
  for (const [component, ports] of Object.entries(previous)) {
    for (const [name, p] of Object.entries(ports)) {
      if (p === port && !(component === self.component && name === self.port)) return true;
    }
  }
  return false;
}

/** The real environment: try to bind 127.0.0.1:port. */
export const loopbackPorts: PortEnvironment = {
  isFree(port: number): Promise<boolean> {
    return new Promise((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
    });
  },
};

/** Linux hands out outgoing connections' local ports from 32768 up (ip_local_port_range). */
export const EPHEMERAL_PORTS_START = 32768;

/**
 * Each cluster name gets its own stretch of the auto range so two clusters started at once do
 * not race for the same ports: 10000 + 220 * (hash(name) mod 100). Every auto port stays below
 * the ephemeral range, where a client connection could take a port between the check that it is
 * free and the engine binding it.
 */
export function autoRangeFor(name: string): { rangeStart: number; rangeEnd: number } {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  const start = 10000 + 220 * (h % 100);
  return { rangeStart: start, rangeEnd: EPHEMERAL_PORTS_START - 1 };
}
