import { describe, expect, it } from 'vitest';
import { FlixError } from '../core/errors.js';
import {
  type CommandResult,
  chaosComment,
  loopbackFirewall,
  parseChaosRules,
  partitionPorts,
  portRuleSpecs,
  splitRuleLine,
} from './iptables.js';

/** `iptables -w -S` recorded on a Debian 12 host (iptables 1.8.9, nf_tables) with flix rules of two clusters and a foreign one. */
const recorded = `-P INPUT ACCEPT
-P FORWARD ACCEPT
-P OUTPUT ACCEPT
-A INPUT -i lo -p tcp -m tcp --sport 9092 -m comment --comment "flix-chaos:ci:blackhole-kafka" -j DROP
-A INPUT -i lo -p tcp -m tcp --dport 9092 -m comment --comment "flix-chaos:ci:blackhole-kafka" -j DROP
-A INPUT -i lo -p tcp -m tcp --sport 3306 ! --tcp-flags RST RST -m comment --comment "flix-chaos:dev:kill-mysql" -j REJECT --reject-with tcp-reset
-A INPUT -i lo -p tcp -m tcp --dport 3306 ! --tcp-flags RST RST -m comment --comment "flix-chaos:dev:kill-mysql" -j REJECT --reject-with tcp-reset
-A INPUT -i lo -p tcp -m tcp --sport 7102 -m comment --comment "flix-chaos:dev:partition-us-east-1b" -j DROP
-A INPUT -i lo -p tcp -m tcp --dport 7102 -m comment --comment "flix-chaos:dev:partition-us-east-1b" -j DROP
-A INPUT -i lo -p tcp -m tcp --sport 7101 -m comment --comment "flix-chaos:dev:partition-us-east-1b" -j DROP
-A INPUT -i lo -p tcp -m tcp --dport 7101 -m comment --comment "flix-chaos:dev:partition-us-east-1b" -j DROP
-A INPUT -i lo -p tcp -m tcp --dport 22 -m comment --comment "ssh \\"keep\\" it" -j ACCEPT
`;

const ok = (stdout = ''): CommandResult => ({ exitCode: 0, stdout, stderr: '' });
const badRule: CommandResult = {
  exitCode: 1,
  stdout: '',
  stderr: 'iptables: Bad rule (does a matching rule exist in that chain?).\n',
};

/**
 * iptables in memory, as far as flix uses it: -C, -I, -D and -S on the filter table. Rules are
 * kept in the form -S prints (`-m tcp` added after `-p tcp`), so a rule given either way matches,
 * and -S quotes comments as iptables does.
 */
function fakeIptables(initial: string[] = []) {
  const normal = (chain: string, spec: readonly string[]) => {
    const out = [chain];
    spec.forEach((a, i) => {
      out.push(a);
      if (a === 'tcp' && spec[i - 1] === '-p' && spec[i + 1] !== '-m') out.push('-m', 'tcp');
    });
    return out.join('\u0000');
  };
  const rules = initial.map((line) => {
    const [, chain = '', ...spec] = splitRuleLine(line);
    return normal(chain, spec);
  });
  const calls: string[] = [];
  const render = (rule: string) => {
    const [chain, ...spec] = rule.split('\u0000');
    const shown = spec.map((a, i) =>
      spec[i - 1] === '--comment' ? `"${a.replace(/(["\\])/g, '\\$1')}"` : a,
    );
    return `-A ${chain} ${shown.join(' ')}`;
  };
  const run = async (file: string, args: readonly string[]): Promise<CommandResult> => {
    calls.push([file, ...args].join(' '));
    const [w, op, chain = '', ...rest] = args;
    expect(w).toBe('-w');
    if (op === '-S') return ok(`${['-P INPUT ACCEPT', ...rules.map(render)].join('\n')}\n`);
    if (op === '-I') {
      expect(rest[0]).toBe('1');
      rules.unshift(normal(chain, rest.slice(1)));
      return ok();
    }
    const at = rules.indexOf(normal(chain, rest));
    if (op === '-C') return at >= 0 ? ok() : badRule;
    if (op === '-D') {
      if (at < 0) return badRule;
      rules.splice(at, 1);
      return ok();
    }
    throw new Error(`unexpected iptables ${args.join(' ')}`);
  };
  return { run, rules: () => rules.map(render), calls };
}

describe('rule building', () => {
  it('blocks a port with a rule to it and a rule from it, tagged with the chaos comment', () => {
    expect(portRuleSpecs('dev', 'blackhole-kafka', 9092, 'drop')).toEqual([
      [
        '-i',
        'lo',
        '-p',
        'tcp',
        '--dport',
        '9092',
        '-m',
        'comment',
        '--comment',
        'flix-chaos:dev:blackhole-kafka',
        '-j',
        'DROP',
      ],
      [
        '-i',
        'lo',
        '-p',
        'tcp',
        '--sport',
        '9092',
        '-m',
        'comment',
        '--comment',
        'flix-chaos:dev:blackhole-kafka',
        '-j',
        'DROP',
      ],
    ]);
    expect(portRuleSpecs('dev', 'x', 3306, 'reject')[0]).toEqual([
      '-i',
      'lo',
      '-p',
      'tcp',
      '--dport',
      '3306',
      '-m',
      'comment',
      '--comment',
      'flix-chaos:dev:x',
      '!',
      '--tcp-flags',
      'RST',
      'RST',
      '-j',
      'REJECT',
      '--reject-with',
      'tcp-reset',
    ]);
  });

  it('refuses names that would not parse back and ports that are not ports', () => {
    expect(chaosComment('dev', 'partition-1')).toBe('flix-chaos:dev:partition-1');
    for (const [c, id] of [
      ['a:b', 'x'],
      ['dev', 'with space'],
      ['', 'x'],
      ['dev', 'q"uote'],
    ]) {
      expect(() => chaosComment(c as string, id as string)).toThrow(FlixError);
    }
    for (const port of [0, 65_536, 1.5, Number.NaN])
      expect(() => portRuleSpecs('dev', 'x', port, 'drop')).toThrow(FlixError);
  });

  it('partitions a zone by the ports of its components', () => {
    const components = [
      { name: 'kafka', port: 9092 },
      { name: 'gateway-b-1', zone: 'b', port: 7202 },
      { name: 'users-a-1', zone: 'a', port: 7101 },
      { name: 'users-b-1', zone: 'b', port: 7201 },
      { name: 'edge-b', zone: 'b', port: 7201 },
    ];
    expect(partitionPorts(components, 'b')).toEqual([7201, 7202]);
    expect(partitionPorts(components, 'c')).toEqual([]);
  });
});

describe('parsing iptables -S', () => {
  it('splits a line as a shell would, quoted and escaped values included', () => {
    expect(splitRuleLine('-A INPUT --comment "ssh \\"keep\\" it" -j ACCEPT')).toEqual([
      '-A',
      'INPUT',
      '--comment',
      'ssh "keep" it',
      '-j',
      'ACCEPT',
    ]);
    expect(splitRuleLine('-A X --comment "" -j DROP')).toEqual(['-A', 'X', '--comment', '', '-j', 'DROP']);
  });

  it('finds the rules of one cluster, with their id, port, match and action', () => {
    const dev = parseChaosRules(recorded, 'dev');
    expect(dev.map((r) => [r.id, r.match, r.port, r.action])).toEqual([
      ['kill-mysql', 'sport', 3306, 'reject'],
      ['kill-mysql', 'dport', 3306, 'reject'],
      ['partition-us-east-1b', 'sport', 7102, 'drop'],
      ['partition-us-east-1b', 'dport', 7102, 'drop'],
      ['partition-us-east-1b', 'sport', 7101, 'drop'],
      ['partition-us-east-1b', 'dport', 7101, 'drop'],
    ]);
    expect(dev[0]?.chain).toBe('INPUT');
    expect(dev[0]?.spec).toEqual([
      '-i',
      'lo',
      '-p',
      'tcp',
      '-m',
      'tcp',
      '--sport',
      '3306',
      '!',
      '--tcp-flags',
      'RST',
      'RST',
      '-m',
      'comment',
      '--comment',
      'flix-chaos:dev:kill-mysql',
      '-j',
      'REJECT',
      '--reject-with',
      'tcp-reset',
    ]);
  });

  it('tells clusters apart exactly and ignores every rule that is not flix', () => {
    expect(parseChaosRules(recorded, 'ci').map((r) => r.id)).toEqual(['blackhole-kafka', 'blackhole-kafka']);
    expect(parseChaosRules(recorded, 'de')).toEqual([]);
    expect(parseChaosRules(recorded)).toHaveLength(8);
    expect(parseChaosRules('# Warning: iptables-legacy tables present\n-N flix-chaos:x:y\n')).toEqual([]);
  });
});

describe('loopbackFirewall', () => {
  it('adds each missing rule at the top of INPUT, once', async () => {
    const ipt = fakeIptables();
    const fw = loopbackFirewall(ipt.run);
    expect(await fw.block({ cluster: 'dev', id: 'p1', ports: [7101], action: 'drop' })).toBe(2);
    expect(ipt.calls).toEqual([
      'iptables -w -C INPUT -i lo -p tcp --dport 7101 -m comment --comment flix-chaos:dev:p1 -j DROP',
      'iptables -w -I INPUT 1 -i lo -p tcp --dport 7101 -m comment --comment flix-chaos:dev:p1 -j DROP',
      'iptables -w -C INPUT -i lo -p tcp --sport 7101 -m comment --comment flix-chaos:dev:p1 -j DROP',
      'iptables -w -I INPUT 1 -i lo -p tcp --sport 7101 -m comment --comment flix-chaos:dev:p1 -j DROP',
    ]);
    ipt.calls.length = 0;
    expect(await fw.block({ cluster: 'dev', id: 'p1', ports: [7101], action: 'drop' })).toBe(0);
    expect(ipt.calls.every((c) => c.includes(' -C '))).toBe(true);
    expect((await fw.listRules('dev')).map((r) => r.port)).toEqual([7101, 7101]);
  });

  it('removes exactly the rules of one id, then of one cluster, and nothing else', async () => {
    const ipt = fakeIptables(recorded.split('\n').filter((l) => l.startsWith('-A ')));
    const fw = loopbackFirewall(ipt.run);
    expect(await fw.remove('dev', 'kill-mysql')).toBe(2);
    expect(ipt.calls).toContain(
      'iptables -w -D INPUT -i lo -p tcp -m tcp --dport 3306 ! --tcp-flags RST RST -m comment --comment flix-chaos:dev:kill-mysql -j REJECT --reject-with tcp-reset',
    );
    expect(await fw.remove('dev', 'kill-mysql')).toBe(0);
    expect(await fw.removeAll('dev')).toBe(4);
    expect(await fw.removeAll('dev')).toBe(0);
    expect(ipt.rules()).toHaveLength(3);
    expect(ipt.rules().filter((r) => r.includes('flix-chaos:ci:'))).toHaveLength(2);
    expect(ipt.rules().some((r) => r.includes('ssh'))).toBe(true);
  });

  it('counts a rule removed by someone else in the meantime as already gone', async () => {
    let listed = false;
    const fw = loopbackFirewall(async (_file, args) => {
      if (args[1] === '-S') {
        listed = true;
        return ok(recorded);
      }
      expect(listed).toBe(true);
      return badRule;
    });
    expect(await fw.removeAll('ci')).toBe(0);
  });

  it('turns failures into errors that say what to do', async () => {
    const denied = loopbackFirewall(async () => ({
      exitCode: 4,
      stdout: '',
      stderr:
        'iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)\n',
    }));
    await expect(denied.listRules('dev')).rejects.toMatchObject({
      name: 'FlixError',
      nextStep: expect.stringMatching(/root/),
    });
    const broken = loopbackFirewall(async () => ({
      exitCode: 2,
      stdout: '',
      stderr: "Couldn't load match `comment'",
    }));
    await expect(broken.block({ cluster: 'dev', id: 'x', ports: [1], action: 'drop' })).rejects.toMatchObject(
      {
        name: 'FlixError',
        details: expect.stringMatching(/comment/),
      },
    );
  });
});
