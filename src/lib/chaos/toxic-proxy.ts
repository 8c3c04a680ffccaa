import net, { type Server, type Socket } from 'node:net';
import { type Clock, systemClock } from '../core/clock.js';
import { FlixError } from '../core/errors.js';
import {
  createStage,
  type Direction,
  directionsOf,
  type Item,
  parseToxic,
  type Stage,
  type Toxic,
  type ToxicSpec,
} from './toxics.js';

/**
 * A TCP proxy in the manner of Toxiproxy, in-process: a component's clients connect to the
 * proxy, the proxy connects to the component, and toxics (latency, bandwidth, timeout, reset_peer,
 * slow_close) are added and removed at runtime on the connections already open as well as on new
 * ones, without closing any.
 *
 * A direction with no toxic is a plain `pipe()` between the two sockets — no copy, no timer, no
 * per-chunk code of ours — so a proxy nobody is breaking costs one extra loopback hop and little
 * else. Adding a toxic unpipes that direction and sends its chunks through the toxics' stages;
 * removing the last one flushes what they held back and pipes again.
 */

export interface Endpoint {
  host: string;
  port: number;
}

export interface ToxicProxyOptions {
  /** Names the proxy in messages and stats (e.g. the component it stands in front of). */
  name: string;
  /** Where clients connect; port 0 takes a free port (read it from `address` after start). */
  listen: Endpoint;
  /** The real server. */
  upstream: Endpoint;
  clock?: Clock;
  /** Uniform in [0, 1): jitter and toxicity. */
  random?: () => number;
  /**
   * Bytes one direction of one connection may hold inside its toxics before the sender is paused
   * (TCP backpressure, as a slow link gives). Large enough not to cap a delayed stream's
   * throughput at loopback speeds (bandwidth × delay). Default 1 MiB.
   */
  maxHeldBytes?: number;
}

export interface ProxyStats {
  name: string;
  listening: boolean;
  /** Accepted since start, and open now. */
  connections: { total: number; open: number };
  /** Bytes passed on: upstream = client → server, downstream = server → client. */
  bytes: { upstream: number; downstream: number };
  /** Bytes the toxics hold back now (delayed, queued behind a bandwidth limit), each way. */
  held: { upstream: number; downstream: number };
}

export class ToxicProxy {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly maxHeldBytes: number;
  private server: Server | undefined;
  private bound: Endpoint | undefined;
  private readonly active = new Set<Connection>();
  private readonly toxicList: Toxic[] = [];
  private total = 0;
  private closedBytes = { upstream: 0, downstream: 0 };

  constructor(private readonly options: ToxicProxyOptions) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.maxHeldBytes = options.maxHeldBytes ?? 1024 * 1024;
  }

  get name(): string {
    return this.options.name;
  }

  get upstream(): Endpoint {
    return { ...this.options.upstream };
  }

  /** The address the proxy listens on (the real port when `listen.port` was 0). */
  get address(): Endpoint {
    if (!this.bound) throw new Error(`proxy ${this.name} is not started`);
    return { ...this.bound };
  }

  get listening(): boolean {
    return this.server?.listening ?? false;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = net.createServer({ allowHalfOpen: true }, (client) => this.accept(client));
    this.server = server;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: this.options.listen.host, port: this.options.listen.port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      this.server = undefined;
      const { host, port } = this.options.listen;
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new FlixError(`proxy ${this.name} cannot listen on ${host}:${port}: the port is in use`, {
          code: 'portBusy',
          nextStep: `free port ${port} or give the proxy another one`,
          cause: error,
        });
      }
      throw error;
    }
    const address = server.address() as net.AddressInfo;
    this.bound = { host: address.address, port: address.port };
  }

  /** Stops listening and closes every connection; resolves when no socket of the proxy is left. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    const connections = [...this.active];
    for (const c of connections) c.destroy();
    await Promise.all([closed, ...connections.map((c) => c.closed)]);
  }

  /**
   * Adds a toxic to the open connections and to every new one. Its name must be free on this
   * proxy (Toxiproxy's rule); it acts after the toxics added before it.
   */
  addToxic(spec: ToxicSpec): Toxic {
    const toxic = parseToxic(spec);
    if (this.toxicList.some((t) => t.name === toxic.name)) {
      throw new FlixError(`proxy ${this.name} already has a toxic named ${toxic.name}`, {
        code: 'conflict',
        nextStep: `remove it first, or give the new one another name`,
      });
    }
    this.toxicList.push(toxic);
    for (const c of this.active) c.addToxic(toxic);
    return { ...toxic };
  }

  /** Removes a toxic; whatever it was holding back goes on at once. False when there was none. */
  removeToxic(name: string): boolean {
    const i = this.toxicList.findIndex((t) => t.name === name);
    if (i < 0) return false;
    this.toxicList.splice(i, 1);
    for (const c of this.active) c.removeToxic(name);
    return true;
  }

  /** Removes every toxic (the proxy forwards directly again). */
  removeAllToxics(): void {
    for (const t of [...this.toxicList].reverse()) this.removeToxic(t.name);
  }

  toxics(): Toxic[] {
    return this.toxicList.map((t) => ({ ...t }));
  }

  stats(): ProxyStats {
    const bytes = { ...this.closedBytes };
    const held = { upstream: 0, downstream: 0 };
    for (const c of this.active) {
      bytes.upstream += c.upstream.bytesWritten;
      bytes.downstream += c.client.bytesWritten;
      held.upstream += c.held('upstream');
      held.downstream += c.held('downstream');
    }
    return {
      name: this.name,
      listening: this.listening,
      connections: { total: this.total, open: this.active.size },
      bytes,
      held,
    };
  }

  private accept(client: Socket): void {
    if (!this.server) {
      client.destroy();
      return;
    }
    this.total++;
    const connection = new Connection(client, this.options.upstream, {
      clock: this.clock,
      random: this.random,
      maxHeldBytes: this.maxHeldBytes,
    });
    this.active.add(connection);
    void connection.closed.then(() => {
      this.active.delete(connection);
      this.closedBytes.upstream += connection.upstream.bytesWritten;
      this.closedBytes.downstream += connection.client.bytesWritten;
    });
    for (const toxic of this.toxicList) connection.addToxic(toxic);
    connection.start();
  }
}

interface ConnectionOptions {
  clock: Clock;
  random: () => number;
  maxHeldBytes: number;
}

/** One client connection and the proxy's connection to the server for it. */
class Connection {
  readonly upstream: Socket;
  /** Resolves once both sockets are closed. */
  readonly closed: Promise<void>;
  private readonly links: Record<Direction, Link>;

  constructor(
    readonly client: Socket,
    target: Endpoint,
    private readonly options: ConnectionOptions,
  ) {
    this.upstream = net.connect({ host: target.host, port: target.port, allowHalfOpen: true });
    client.setNoDelay(true);
    this.upstream.setNoDelay(true);
    const links = {
      upstream: new Link(client, this.upstream, options.maxHeldBytes),
      downstream: new Link(this.upstream, client, options.maxHeldBytes),
    };
    this.links = links;
    const whenClosed = (s: Socket) => new Promise<void>((resolve) => s.once('close', () => resolve()));
    this.closed = Promise.all([whenClosed(client), whenClosed(this.upstream)]).then(() => {
      links.upstream.dispose();
      links.downstream.dispose();
    });
    this.tie(client, this.upstream);
    this.tie(this.upstream, client);
  }

  held(direction: Direction): number {
    return this.links[direction].heldBytes;
  }

  start(): void {
    this.links.upstream.start();
    this.links.downstream.start();
  }

  addToxic(toxic: Toxic): void {
    for (const direction of directionsOf(toxic.stream)) {
      // toxicity: rolled once per connection and direction, as Toxiproxy rolls it per stub
      if (toxic.toxicity < 1 && this.options.random() >= toxic.toxicity) continue;
      const link = this.links[direction];
      link.addStage(
        toxic.name,
        createStage(toxic, {
          clock: this.options.clock,
          random: this.options.random,
          dropped: (bytes) => link.dropped(bytes),
          close: () => this.destroy(),
          reset: () => this.reset(),
        }),
      );
    }
  }

  removeToxic(name: string): void {
    this.links.upstream.removeStage(name);
    this.links.downstream.removeStage(name);
  }

  /** Closes both sockets (a FIN to each peer, as closing a connection gives). */
  destroy(): void {
    this.client.destroy();
    this.upstream.destroy();
  }

  /** Resets both sockets: each peer gets an RST and reads ECONNRESET. */
  reset(): void {
    resetSocket(this.client);
    resetSocket(this.upstream);
  }

  /**
   * What one side's failure does to the other: a reset is passed on as a reset (so the peer sees
   * ECONNRESET, not a clean end), any other error (a refused connection to the server included)
   * resets the other side too, since its peer cannot be told more. A side that closes cleanly
   * closes the other once what was written to it has gone out.
   */
  private tie(self: Socket, other: Socket): void {
    self.on('error', () => resetSocket(other));
    self.on('close', () => {
      if (other.destroyed) return;
      if (other.writableEnded && !other.writableFinished) other.once('finish', () => other.destroy());
      else other.destroy();
    });
  }
}

/** RST instead of FIN; a socket still connecting or already gone is simply closed. */
function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.connecting) socket.destroy();
  else socket.resetAndDestroy();
}

/**
 * One direction of a connection: from `src` (its readable side) to `dst`. Piped directly while
 * it has no stage; otherwise its chunks go through the stages in order, the sender paused while
 * the stages hold more than `maxHeldBytes` or `dst` needs draining.
 */
class Link {
  private readonly stages: { name: string; stage: Stage }[] = [];
  private piped = false;
  private started = false;
  private srcEnded = false;
  private held = 0;
  private dstBlocked = false;

  get heldBytes(): number {
    return this.held;
  }

  constructor(
    private readonly src: Socket,
    private readonly dst: Socket,
    private readonly maxHeldBytes: number,
  ) {}

  start(): void {
    this.started = true;
    this.src.on('end', this.onEnd);
    if (this.stages.length === 0) this.pipe();
    else this.unpipe();
  }

  addStage(name: string, stage: Stage): void {
    const last = this.stages.at(-1);
    stage.next = this.sink;
    if (last) last.stage.next = (item) => stage.push(item);
    this.stages.push({ name, stage });
    if (this.piped) this.unpipe();
  }

  removeStage(name: string): void {
    const i = this.stages.findIndex((s) => s.name === name);
    if (i < 0) return;
    const [removed] = this.stages.splice(i, 1);
    if (!removed) return;
    const after = this.stages[i];
    const onward = after ? (item: Item) => after.stage.push(item) : this.sink;
    const before = this.stages[i - 1];
    if (before) before.stage.next = onward;
    removed.stage.next = onward;
    removed.stage.flush();
    removed.stage.dispose();
    if (this.stages.length === 0 && this.started && !this.srcEnded && !this.src.destroyed) this.pipe();
  }

  /** Bytes a stage discarded leave the count of bytes held. */
  dropped(bytes: number): void {
    this.held -= bytes;
    this.updateFlow();
  }

  dispose(): void {
    for (const { stage } of this.stages.splice(0)) stage.dispose();
  }

  private pipe(): void {
    this.src.off('data', this.onData);
    this.piped = true;
    this.src.pipe(this.dst, { end: false });
  }

  private unpipe(): void {
    if (this.piped) this.src.unpipe(this.dst); // pauses src
    this.piped = false;
    this.src.on('data', this.onData);
    if (this.dst.writableNeedDrain) this.block();
    this.updateFlow();
  }

  private readonly onData = (chunk: Buffer): void => {
    this.held += chunk.length;
    this.head(chunk);
    this.updateFlow();
  };

  private readonly onEnd = (): void => {
    this.srcEnded = true;
    if (this.piped || this.stages.length === 0) this.sink(null);
    else this.head(null);
  };

  private head(item: Item): void {
    const first = this.stages[0];
    if (first) first.stage.push(item);
    else this.sink(item);
  }

  /** The end of the stages: what leaves them is written to `dst`. */
  private readonly sink = (item: Item): void => {
    if (item === null) {
      if (!this.dst.destroyed) this.dst.end();
      return;
    }
    this.held -= item.length;
    if (!this.dst.destroyed && !this.dst.write(item)) this.block();
    this.updateFlow();
  };

  private block(): void {
    if (this.dstBlocked) return;
    this.dstBlocked = true;
    this.dst.once('drain', () => {
      this.dstBlocked = false;
      this.updateFlow();
    });
  }

  private updateFlow(): void {
    if (this.piped || this.src.destroyed || this.srcEnded) return;
    const hold = this.dstBlocked || this.held > this.maxHeldBytes;
    if (hold && !this.src.isPaused()) this.src.pause();
    else if (!hold && this.src.isPaused()) this.src.resume();
  }
}
