/**
 * A manual check of iptables.ts against the real iptables, not part of the test suite: it needs
 * root and iptables, which CI does not promise. Run it as root on a machine where no flix cluster
 * is using the ports it picks (free ones, chosen by the kernel):
 *
 *   sudo npx vite-node src/lib/chaos/manual/check-iptables.ts
 *
 * It starts an echo server on 127.0.0.1, checks that REJECT refuses new connections and resets
 * open ones, that DROP hangs them and that an open connection recovers once the rule is removed,
 * that adding twice adds nothing, and that removeAll takes away exactly the rules of its cluster
 * (another cluster's and a foreign rule stay). Whatever happens, every rule it added is removed
 * before it exits; it ends by showing that `iptables -S` has none of them left. Exit 0 when all
 * checks pass.
 */
import net, { type Socket } from 'node:net';
import { loopbackFirewall, runCommand } from '../iptables.js';

const cluster = `check-${process.pid}`;
const otherCluster = `check-${process.pid}-other`;
const firewall = loopbackFirewall(runCommand);
let failures = 0;

function check(what: string, ok: boolean, detail = ''): void {
  if (!ok) failures++;
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${what}${detail ? `  (${detail})` : ''}`);
}

/** Connects with a deadline: 'connected', an error code, or 'timeout'. */
function tryConnect(port: number, ms: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      s.destroy();
      resolve('timeout');
    }, ms);
    s.once('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve('connected');
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(e.code ?? e.message);
    });
  });
}

/** Writes `text` and waits for its echo: 'echoed', an error code, or 'timeout'. */
function echoOn(socket: Socket, text: string, ms: number): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const done = (r: string) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      resolve(r);
    };
    const onData = (c: Buffer) => {
      got += c.toString();
      if (got.includes(text)) done('echoed');
    };
    const onError = (e: NodeJS.ErrnoException) => done(e.code ?? e.message);
    const timer = setTimeout(() => done('timeout'), ms);
    socket.on('data', onData);
    socket.on('error', onError);
    socket.write(text);
  });
}

/** Waits for `text` to arrive on `socket`: 'arrived' or 'timeout'. */
function arrives(socket: Socket, text: string, ms: number): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const timer = setTimeout(() => resolve('timeout'), ms);
    socket.on('data', (c: Buffer) => {
      got += c.toString();
      if (got.includes(text)) {
        clearTimeout(timer);
        resolve('arrived');
      }
    });
  });
}

async function open(port: number): Promise<Socket> {
  const s = net.connect({ host: '127.0.0.1', port });
  s.on('error', () => {});
  await new Promise((resolve) => s.once('connect', resolve));
  return s;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.error('run as root: sudo npx vite-node src/lib/chaos/manual/check-iptables.ts');
    process.exit(2);
  }
  const sockets = new Set<Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const foreign = [
    'INPUT',
    '-i',
    'lo',
    '-p',
    'tcp',
    '--dport',
    String(port),
    '-m',
    'comment',
    '--comment',
    'not flix',
    '-j',
    'ACCEPT',
  ];
  try {
    check('connects with no rule', (await tryConnect(port, 1000)) === 'connected');
    const openBefore = await open(port);
    check('echo on an open connection', (await echoOn(openBefore, 'a', 1000)) === 'echoed');

    const added = await firewall.block({ cluster, id: 'reject-1', ports: [port], action: 'reject' });
    check('reject: adds a rule to and a rule from the port', added === 2, `added ${added}`);
    const again = await firewall.block({ cluster, id: 'reject-1', ports: [port], action: 'reject' });
    check('adding the same block again adds nothing', again === 0, `added ${again}`);
    const listed = await firewall.listRules(cluster);
    check(
      'listRules finds them with port, match and action',
      listed.length === 2 &&
        listed.every((r) => r.port === port && r.action === 'reject' && r.id === 'reject-1'),
      JSON.stringify(listed.map((r) => [r.chain, r.match, r.port, r.action])),
    );
    const refused = await tryConnect(port, 1000);
    check('reject: a new connection is refused', refused === 'ECONNREFUSED', refused);
    const reset = await echoOn(openBefore, 'b', 1000);
    check('reject: an open connection is reset', reset === 'ECONNRESET', reset);
    const removed = await firewall.remove(cluster, 'reject-1');
    check('remove takes both rules away', removed === 2, `removed ${removed}`);
    check('remove again removes nothing', (await firewall.remove(cluster, 'reject-1')) === 0);
    check('connects again after remove', (await tryConnect(port, 1000)) === 'connected');

    const held = await open(port);
    await firewall.block({ cluster, id: 'blackhole-1', ports: [port], action: 'drop' });
    const hung = await tryConnect(port, 800);
    check('drop: a new connection hangs', hung === 'timeout', hung);
    const silent = await echoOn(held, 'c', 500);
    check('drop: an open connection gets no answer', silent === 'timeout', silent);
    const recovered = arrives(held, 'c', 3000); // the 'c' sent above, retransmitted by TCP once the rule is gone
    await firewall.remove(cluster, 'blackhole-1');
    const after = await recovered;
    check('drop: after remove the open connection recovers (TCP retransmits)', after === 'arrived', after);
    held.destroy();

    await firewall.block({ cluster, id: 'p1', ports: [port, port + 1], action: 'drop' });
    await firewall.block({ cluster: otherCluster, id: 'p1', ports: [port], action: 'drop' });
    await runCommand('iptables', ['-w', '-I', ...foreign]);
    const all = await firewall.removeAll(cluster);
    check('removeAll removes every rule of its cluster', all === 4, `removed ${all}`);
    const left = await runCommand('iptables', ['-w', '-S']);
    check(
      'removeAll leaves the other cluster and foreign rules',
      left.stdout.includes(`flix-chaos:${otherCluster}:p1`) && left.stdout.includes('not flix'),
    );
  } finally {
    await firewall.removeAll(cluster);
    await firewall.removeAll(otherCluster);
    await runCommand('iptables', ['-w', '-D', ...foreign]);
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
    const after = await runCommand('iptables', ['-w', '-S']);
    const leftovers = after.stdout
      .split('\n')
      .filter((l) => l.includes(`check-${process.pid}`) || l.includes('not flix'));
    check('no rule of this check is left in iptables -S', leftovers.length === 0, leftovers.join('; '));
  }
  console.log(failures === 0 ? 'all checks passed' : `${failures} check(s) failed`);
  process.exit(failures === 0 ? 0 : 1);
}

await main();
