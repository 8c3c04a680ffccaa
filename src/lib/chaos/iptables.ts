import { execa } from 'execa';
import { FlixError } from '../core/errors.js';

/**
 * Network faults between the components of a cluster with iptables rules on loopback: a REJECT
 * rule on a port answers every packet to it with a TCP reset (connects are refused, open
 * connections reset on their next packet), a DROP rule swallows them (connects and open
 * connections hang until the caller's own timeout: a blackhole). They act in the kernel, so on
 * every client of the port, flix's or not, and leave the components' processes untouched.
 *
 * Every rule carries the comment `flix-chaos:<cluster>:<id>`, so flix finds its own rules in
 * `iptables -S` and removes exactly those, whoever added them and whenever, even after a crash
 * of the command that added them. Adding and removing are idempotent.
 *
 * The rules go in the INPUT chain of the filter table on `lo` (loopback packets pass it on
 * their way in; a rule there leaves the sender's send() alone and the packet unanswered, as a
 * lost packet is). Each port gets two: packets to the port (requests, SYNs) and packets from it
 * (its answers on connections already open), so an open connection is cut both ways. REJECT
 * rules let TCP resets through, their own included: both ends of an open connection get one.
 *
 * The command runner is passed in: building the arguments and parsing `-S` are pure and tested
 * from recorded output; `runCommand` is the real one.
 */

export type BlockAction = 'drop' | 'reject';

/** A block of one or more ports under one chaos id (a partition, a blackhole). */
export interface PortBlock {
  cluster: string;
  /** Names the fault; every rule of the block carries it, so it is removed as a whole. */
  id: string;
  ports: readonly number[];
  action: BlockAction;
}

/** A flix rule as `iptables -S` shows it. */
export interface ChaosRule {
  cluster: string;
  id: string;
  chain: string;
  /** The port matched and whether as destination (`dport`) or source (`sport`); absent when not a TCP port rule. */
  port?: number;
  match?: 'dport' | 'sport';
  action?: BlockAction;
  /** The rule's arguments after the chain name, as printed: `-D <chain> ...spec` deletes exactly it. */
  spec: string[];
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion; rejects only when it cannot be started. */
export type RunCommand = (file: string, args: readonly string[]) => Promise<CommandResult>;

export const COMMENT_PREFIX = 'flix-chaos';
const CHAIN = 'INPUT';
const NAME = /^[A-Za-z0-9._-]{1,100}$/;

/** The comment of a chaos id's rules. Cluster and id are checked, so the comment parses back. */
export function chaosComment(cluster: string, id: string): string {
  for (const [what, value] of [
    ['cluster', cluster],
    ['chaos id', id],
  ] as const) {
    if (!NAME.test(value)) {
      throw new FlixError(`${what} '${value}' cannot name an iptables rule`, {
        code: 'invalidInput',
        nextStep: 'use at most 100 letters, digits, ".", "_" or "-"',
      });
    }
  }
  return `${COMMENT_PREFIX}:${cluster}:${id}`;
}

/** The rule specs (arguments after the chain name) that block one port: to it and from it. */
export function portRuleSpecs(cluster: string, id: string, port: number, action: BlockAction): string[][] {
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new FlixError(`${port} is not a TCP port`, { code: 'invalidInput' });
  }
  const comment = chaosComment(cluster, id);
  // a REJECT's own reset comes back through INPUT on lo (to or from the port): it must pass,
  // or the rule that answers with a reset would swallow it and REJECT would behave as DROP
  const target =
    action === 'drop'
      ? ['-j', 'DROP']
      : ['!', '--tcp-flags', 'RST', 'RST', '-j', 'REJECT', '--reject-with', 'tcp-reset'];
  return (['dport', 'sport'] as const).map((match) => [
    '-i',
    'lo',
    '-p',
    'tcp',
    `--${match}`,
    String(port),
    '-m',
    'comment',
    '--comment',
    comment,
    ...target,
  ]);
}

/**
 * Splits one line of `iptables -S` into arguments as a shell would: iptables quotes a value with
 * spaces (a comment) in double quotes and escapes `"` and `\` inside with a backslash.
 */
export function splitRuleLine(line: string): string[] {
  const out: string[] = [];
  let current = '';
  let inToken = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quoted) {
      if (ch === '\\' && i + 1 < line.length) current += line[++i];
      else if (ch === '"') quoted = false;
      else current += ch;
    } else if (ch === '"') {
      quoted = true;
      inToken = true;
    } else if (ch === ' ' || ch === '\t') {
      if (inToken) out.push(current);
      current = '';
      inToken = false;
    } else {
      current += ch;
      inToken = true;
    }
  }
  if (inToken) out.push(current);
  return out;
}

/** The flix rules in `iptables -S` output (of one cluster, when given); every other line is ignored. */
export function parseChaosRules(saveOutput: string, cluster?: string): ChaosRule[] {
  const rules: ChaosRule[] = [];
  for (const line of saveOutput.split('\n')) {
    if (!line.startsWith('-A ')) continue;
    const args = splitRuleLine(line.trim());
    const chain = args[1];
    const comment = flagValue(args, '--comment');
    if (!chain || !comment) continue;
    const m = /^flix-chaos:([^:]+):(.+)$/.exec(comment);
    if (!m) continue;
    const [, ruleCluster = '', id = ''] = m;
    if (cluster !== undefined && ruleCluster !== cluster) continue;
    const rule: ChaosRule = { cluster: ruleCluster, id, chain, spec: args.slice(2) };
    for (const match of ['dport', 'sport'] as const) {
      const port = Number(flagValue(args, `--${match}`));
      if (Number.isInteger(port) && port > 0) {
        rule.port = port;
        rule.match = match;
      }
    }
    const target = flagValue(args, '-j');
    if (target === 'DROP') rule.action = 'drop';
    else if (target === 'REJECT') rule.action = 'reject';
    rules.push(rule);
  }
  return rules;
}

function flagValue(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

/** A component's listening port and its zone (none for the cluster-wide engines). */
export interface ZonedPort {
  name: string;
  port: number;
  zone?: string;
}

/**
 * The ports to block to partition `zone` away from the rest of the cluster. On one host every
 * component shares loopback and a client's source port says nothing about its zone, so a rule
 * cannot tell "from zone a" apart from "from zone b"; a partition is modelled as the other side
 * losing the zone's components: every connection to them is cut (their own calls to each other
 * too), while their calls out to the rest still get through. That is what the callers of a
 * partitioned zone see, which is what failover is about.
 */
export function partitionPorts(components: readonly ZonedPort[], zone: string): number[] {
  return [...new Set(components.filter((c) => c.zone === zone).map((c) => c.port))].sort((a, b) => a - b);
}

export interface LoopbackFirewall {
  /** Adds the block's rules that are not there yet; resolves to how many it added. */
  block(block: PortBlock): Promise<number>;
  /** The flix rules of a cluster (of every cluster when none is given). */
  listRules(cluster?: string): Promise<ChaosRule[]>;
  /** Removes every rule of one chaos id; resolves to how many it removed (0: nothing to heal). */
  remove(cluster: string, id: string): Promise<number>;
  /** Removes every flix rule of a cluster and nothing else. */
  removeAll(cluster: string): Promise<number>;
}

/** `iptables` driven through `run`; `-w` waits for the xtables lock rather than failing on it. */
export function loopbackFirewall(run: RunCommand, options: { binary?: string } = {}): LoopbackFirewall {
  const binary = options.binary ?? 'iptables';

  const iptables = async (
    args: string[],
    absentOk: boolean,
  ): Promise<CommandResult & { absent: boolean }> => {
    const r = await run(binary, ['-w', ...args]);
    if (r.exitCode === 0) return { ...r, absent: false };
    if (
      absentOk &&
      r.exitCode === 1 &&
      /Bad rule|does a matching rule exist|No chain\/target\/match/i.test(r.stderr)
    ) {
      return { ...r, absent: true };
    }
    throw failure(binary, args, r);
  };

  const listRules = async (cluster?: string): Promise<ChaosRule[]> => {
    const r = await iptables(['-S'], false);
    return parseChaosRules(r.stdout, cluster);
  };

  const removeWhere = async (cluster: string, keep: (rule: ChaosRule) => boolean): Promise<number> => {
    chaosComment(cluster, 'x');
    let removed = 0;
    for (const rule of await listRules(cluster)) {
      if (keep(rule)) continue;
      const r = await iptables(['-D', rule.chain, ...rule.spec], true);
      if (!r.absent) removed++;
    }
    return removed;
  };

  return {
    async block({ cluster, id, ports, action }) {
      const specs = ports.flatMap((port) => portRuleSpecs(cluster, id, port, action));
      let added = 0;
      for (const spec of specs) {
        const check = await iptables(['-C', CHAIN, ...spec], true);
        if (!check.absent) continue;
        await iptables(['-I', CHAIN, '1', ...spec], false);
        added++;
      }
      return added;
    },
    listRules,
    remove: (cluster, id) => {
      chaosComment(cluster, id);
      return removeWhere(cluster, (rule) => rule.id !== id);
    },
    removeAll: (cluster) => removeWhere(cluster, () => false),
  };
}

/** What went wrong, in terms of what to do about it. */
function failure(binary: string, args: string[], r: CommandResult): Error {
  const command = `${binary} ${args.join(' ')}`;
  const details = r.stderr.trim() || r.stdout.trim();
  if (/permission denied|must be root|Operation not permitted/i.test(r.stderr)) {
    return new FlixError(`\`${command}\` needs root`, {
      code: 'setupFailed',
      details,
      nextStep: 'run the chaos command as root (sudo)',
    });
  }
  return new FlixError(`\`${command}\` failed (exit ${r.exitCode})`, { code: 'componentFailed', details });
}

/** The real runner (execa); a missing iptables is the user's to install. */
export const runCommand: RunCommand = async (file, args) => {
  const r = await execa(file, [...args], { reject: false, timeout: 30_000 });
  if (r.exitCode === undefined) {
    if (r.code === 'ENOENT') {
      throw new FlixError(`${file} is not installed`, {
        code: 'engineMissing',
        nextStep: `install it: apt-get install iptables`,
      });
    }
    throw new Error(`cannot run ${file}: ${r.message}`);
  }
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
};
