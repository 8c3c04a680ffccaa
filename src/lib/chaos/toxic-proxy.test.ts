import { randomBytes } from 'node:crypto';
import net, { type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { FlixError } from '../core/errors.js';
import { ToxicProxy } from './toxic-proxy.js';

/** Real loopback sockets: an echo server behind a proxy, each test on free ports. */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

type Handler = (socket: Socket) => void;
const echo: Handler = (socket) => {
  socket.on('error', () => {});
  socket.pipe(socket);
};

async function server(handler: Handler = echo): Promise<{ server: Server; port: number }> {
  const sockets = new Set<Socket>();
  const s = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    handler(socket);
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  });
  return { server: s, port: (s.address() as net.AddressInfo).port };
}

async function proxyTo(port: number): Promise<ToxicProxy> {
  const proxy = new ToxicProxy({
    name: 'test',
    listen: { host: '127.0.0.1', port: 0 },
    upstream: { host: '127.0.0.1', port },
  });
  await proxy.start();
  cleanups.push(() => proxy.stop());
  return proxy;
}

async function echoProxy(): Promise<{ proxy: ToxicProxy; upstream: Server }> {
  const { server: upstream, port } = await server();
  return { proxy: await proxyTo(port), upstream };
}

/** A client socket with everything it reads collected, and its end/close/error recorded. */
interface Client {
  socket: Socket;
  received(): Buffer;
  /** Resolves when `n` bytes in all have arrived. */
  bytes(n: number): Promise<Buffer>;
  ended: Promise<void>;
  closed: Promise<{ error?: NodeJS.ErrnoException }>;
}

async function connect(port: number): Promise<Client> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  const chunks: Buffer[] = [];
  let total = 0;
  let waiters: { n: number; resolve: (b: Buffer) => void }[] = [];
  let error: NodeJS.ErrnoException | undefined;
  socket.on('data', (c: Buffer) => {
    chunks.push(c);
    total += c.length;
    const ready = waiters.filter((w) => total >= w.n);
    waiters = waiters.filter((w) => total < w.n);
    for (const w of ready) w.resolve(Buffer.concat(chunks));
  });
  socket.on('error', (e) => {
    error = e;
  });
  const ended = new Promise<void>((resolve) => socket.once('end', () => resolve()));
  const closed = new Promise<{ error?: NodeJS.ErrnoException }>((resolve) =>
    socket.once('close', () => resolve({ error })),
  );
  cleanups.push(async () => {
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return {
    socket,
    received: () => Buffer.concat(chunks),
    bytes: (n) =>
      total >= n
        ? Promise.resolve(Buffer.concat(chunks))
        : new Promise((resolve) => waiters.push({ n, resolve })),
    ended,
    closed,
  };
}

/** Resolves once `condition` holds (checked every 5 ms), for states no event announces. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** Sends `payload` and times until it has come back (the echo), in ms. */
async function roundTrip(c: Client, payload: Buffer | string): Promise<number> {
  const data = Buffer.from(payload);
  const already = c.received().length;
  const t0 = performance.now();
  c.socket.write(data);
  await c.bytes(already + data.length);
  return performance.now() - t0;
}

describe('ToxicProxy without toxics', () => {
  it('passes bytes unchanged both ways and counts them', async () => {
    const { proxy } = await echoProxy();
    const c = await connect(proxy.address.port);
    const payload = randomBytes(1024 * 1024);
    c.socket.write(payload);
    expect((await c.bytes(payload.length)).equals(payload)).toBe(true);
    const s = proxy.stats();
    expect(s.connections).toEqual({ total: 1, open: 1 });
    expect(s.bytes).toEqual({ upstream: payload.length, downstream: payload.length });
  });

  it('passes a half-close on: the server can still answer after the client sent its end', async () => {
    const { port } = await server((socket) => {
      const chunks: Buffer[] = [];
      socket.on('data', (c) => chunks.push(c));
      socket.on('end', () => socket.end(Buffer.concat(chunks).toString().toUpperCase()));
    });
    const proxy = await proxyTo(port);
    const c = await connect(proxy.address.port);
    c.socket.end('shout');
    await c.ended;
    expect(c.received().toString()).toBe('SHOUT');
  });

  it('resets the client when the server refuses the connection', async () => {
    const { server: s, port } = await server();
    await new Promise<void>((resolve) => s.close(() => resolve()));
    const proxy = await proxyTo(port);
    const c = await connect(proxy.address.port);
    expect((await c.closed).error?.code).toBe('ECONNRESET');
  });
});

describe('ToxicProxy toxics', () => {
  it('latency: 300 ms downstream adds 300 ms ±20% to a round trip', async () => {
    const { proxy } = await echoProxy();
    const c = await connect(proxy.address.port);
    const base = await roundTrip(c, 'warm');
    proxy.addToxic({ type: 'latency', latencyMs: 300, stream: 'downstream' });
    const rtt = await roundTrip(c, 'ping');
    expect(rtt - base).toBeGreaterThanOrEqual(240);
    expect(rtt - base).toBeLessThanOrEqual(360);
  });

  it('latency on both streams delays each direction: 150 ms each adds 300 ms ±20%', async () => {
    const { proxy } = await echoProxy();
    proxy.addToxic({ type: 'latency', latencyMs: 150 });
    const c = await connect(proxy.address.port);
    const rtt = await roundTrip(c, 'ping');
    expect(rtt).toBeGreaterThanOrEqual(240);
    expect(rtt).toBeLessThanOrEqual(360);
  });

  it('latency jitter varies the delay within latency ± jitter, in order', async () => {
    const { proxy } = await echoProxy();
    proxy.addToxic({ type: 'latency', latencyMs: 40, jitterMs: 30, stream: 'upstream' });
    const c = await connect(proxy.address.port);
    const rtts: number[] = [];
    for (let i = 0; i < 8; i++) rtts.push(await roundTrip(c, `p${i}`));
    for (const r of rtts) {
      expect(r).toBeGreaterThanOrEqual(9);
      expect(r).toBeLessThanOrEqual(90);
    }
    expect(Math.max(...rtts) - Math.min(...rtts)).toBeGreaterThan(10);
    // many small chunks, each with its own random delay: none overtakes another
    const sent = Array.from({ length: 200 }, (_, i) => `<${i}>`);
    const before = c.received().length;
    for (const s of sent) c.socket.write(s);
    const all = sent.join('');
    const got = await c.bytes(before + all.length);
    expect(got.subarray(before).toString()).toBe(all);
  });

  it('bandwidth: limits throughput within ±25%', async () => {
    const { proxy } = await echoProxy();
    proxy.addToxic({ type: 'bandwidth', kbps: 2000, stream: 'downstream' }); // 250 kB/s
    const c = await connect(proxy.address.port);
    const payload = randomBytes(100_000);
    const ms = await roundTrip(c, payload);
    const kbps = (payload.length * 8) / ms; // bits per ms = kilobits per second
    expect(kbps).toBeGreaterThanOrEqual(1500);
    expect(kbps).toBeLessThanOrEqual(2500);
    expect(c.received().equals(payload)).toBe(true);
  });

  it('timeout: forwards nothing, then closes the connection after the timeout', async () => {
    const { proxy } = await echoProxy();
    const c = await connect(proxy.address.port);
    await roundTrip(c, 'ok');
    const t0 = performance.now();
    proxy.addToxic({ type: 'timeout', ms: 200, stream: 'upstream' });
    c.socket.write('lost');
    const { error } = await c.closed;
    const held = performance.now() - t0;
    expect(error).toBeUndefined();
    expect(held).toBeGreaterThanOrEqual(190);
    expect(held).toBeLessThanOrEqual(400);
    expect(c.received().toString()).toBe('ok');
  });

  it('timeout 0: holds the connection open without forwarding until the toxic is removed', async () => {
    const { proxy } = await echoProxy();
    proxy.addToxic({ type: 'timeout', ms: 0, name: 'blackhole' });
    const c = await connect(proxy.address.port);
    c.socket.write('lost');
    let closed = false;
    void c.closed.then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 250)); // nothing to await: the point is that nothing happens
    expect(closed).toBe(false);
    expect(c.received().length).toBe(0);
    expect(proxy.removeToxic('blackhole')).toBe(true);
    await roundTrip(c, 'back');
    expect(c.received().toString()).toBe('back');
  });

  it('reset_peer: resets the open connections and every new one', async () => {
    const { proxy } = await echoProxy();
    const open = await connect(proxy.address.port);
    await roundTrip(open, 'ok');
    proxy.addToxic({ type: 'reset_peer' });
    expect((await open.closed).error?.code).toBe('ECONNRESET');
    const fresh = await connect(proxy.address.port);
    expect((await fresh.closed).error?.code).toBe('ECONNRESET');
  });

  it('slow_close: the end arrives late, the data on time', async () => {
    const { port } = await server((socket) => socket.end('bye'));
    const proxy = await proxyTo(port);
    proxy.addToxic({ type: 'slow_close', delayMs: 200, stream: 'downstream' });
    const t0 = performance.now();
    const c = await connect(proxy.address.port);
    await c.bytes(3);
    const data = performance.now() - t0;
    await c.ended;
    const end = performance.now() - t0;
    expect(data).toBeLessThan(100);
    expect(end).toBeGreaterThanOrEqual(190);
    expect(end).toBeLessThan(400);
  });

  it('removing a toxic sends on what it held at once and forwards new data directly, same connection', async () => {
    const { proxy } = await echoProxy();
    const c = await connect(proxy.address.port);
    proxy.addToxic({ type: 'latency', latencyMs: 1000, name: 'slow' });
    const t0 = performance.now();
    c.socket.write('held');
    await until(() => proxy.stats().held.upstream === 4);
    proxy.removeToxic('slow');
    expect(proxy.stats().held).toEqual({ upstream: 0, downstream: 0 });
    await c.bytes(4);
    expect(performance.now() - t0).toBeLessThan(300);
    expect(await roundTrip(c, 'fast')).toBeLessThan(50);
    expect(c.received().toString()).toBe('heldfast');
    expect(proxy.stats().connections).toEqual({ total: 1, open: 1 });
    expect(proxy.toxics()).toEqual([]);
  });

  it('holds back at most maxHeldBytes, pausing the sender, and still delivers every byte in order', async () => {
    const { port } = await server();
    const proxy = new ToxicProxy({
      name: 'small',
      listen: { host: '127.0.0.1', port: 0 },
      upstream: { host: '127.0.0.1', port },
      maxHeldBytes: 64 * 1024,
    });
    await proxy.start();
    cleanups.push(() => proxy.stop());
    proxy.addToxic({ type: 'latency', latencyMs: 20 });
    const c = await connect(proxy.address.port);
    const payload = randomBytes(2 * 1024 * 1024);
    c.socket.write(payload);
    let most = 0;
    const sampler = setInterval(() => {
      most = Math.max(most, proxy.stats().held.upstream);
    }, 2);
    const got = await c.bytes(payload.length);
    clearInterval(sampler);
    expect(got.equals(payload)).toBe(true);
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(64 * 1024 + 256 * 1024); // the limit, plus at most one read past it
  });

  it('keeps the order of toxics and refuses a second toxic of the same name', async () => {
    const { proxy } = await echoProxy();
    proxy.addToxic({ type: 'latency', latencyMs: 10 });
    proxy.addToxic({ type: 'bandwidth', kbps: 100, stream: 'downstream' });
    expect(proxy.toxics().map((t) => t.name)).toEqual(['latency_both', 'bandwidth_downstream']);
    expect(() => proxy.addToxic({ type: 'latency', latencyMs: 5 })).toThrow(FlixError);
    expect(() => proxy.addToxic({ type: 'bandwidth', kbps: 0 })).toThrow(/kbps/);
    expect(proxy.removeToxic('nope')).toBe(false);
  });

  it('toxicity 0 leaves every connection alone', async () => {
    const { proxy } = await echoProxy();
    proxy.addToxic({ type: 'reset_peer', toxicity: 0 });
    const c = await connect(proxy.address.port);
    expect(await roundTrip(c, 'fine')).toBeLessThan(50);
  });
});

describe('ToxicProxy.stop', () => {
  it('closes every connection and the listening port', async () => {
    const { proxy, upstream } = await echoProxy();
    const port = proxy.address.port;
    const clients = await Promise.all([connect(port), connect(port), connect(port)]);
    await Promise.all(clients.map((c) => roundTrip(c, 'x')));
    proxy.addToxic({ type: 'latency', latencyMs: 5000, stream: 'downstream' });
    clients[0]?.socket.write('pending');
    await proxy.stop();
    await Promise.all(clients.map((c) => c.closed));
    expect(proxy.stats()).toMatchObject({ listening: false, connections: { total: 3, open: 0 } });
    const onServer = await new Promise<number>((resolve, reject) =>
      upstream.getConnections((e, n) => (e ? reject(e) : resolve(n))),
    );
    expect(onServer).toBe(0);
    const refused = await new Promise<string | undefined>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(undefined);
      });
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code));
    });
    expect(refused).toBe('ECONNREFUSED');
  });

  it('reports a busy port as a FlixError', async () => {
    const { port } = await server();
    const proxy = new ToxicProxy({
      name: 'busy',
      listen: { host: '127.0.0.1', port },
      upstream: { host: '127.0.0.1', port },
    });
    await expect(proxy.start()).rejects.toMatchObject({ name: 'FlixError', exitCode: 5 });
  });
});
