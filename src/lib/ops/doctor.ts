import { existsSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { freemem, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { execa } from 'execa';
import { loadClusterDefinition, resolveClusterFile } from '../cluster/definition.js';
import { portRequests } from '../cluster/plan.js';
import { loopbackPorts } from '../cluster/ports.js';
import { enginesDir, flixHome } from '../core/paths.js';
import { findBinary } from '../engines/binaries.js';
import { engineUser, lookupUser } from '../engines/engine-user.js';
import { firstBlockedOnWayTo } from '../engines/engine-user-access.js';
import { mavenEngines } from './setup/maven-engines.js';
import { toolsForPlatform } from './setup/system-packages.js';

export type CheckStatus = 'ok' | 'warn' | 'problem';

export interface Check {
  check: string;
  status: CheckStatus;
  detail: string;
  /** the exact command that fixes a problem */
  fix?: string;
}

const setupFix = 'flix setup --yes';

/** Runs `cmd args` and returns the first line that matches, or the first line. */
async function versionOf(file: string, args: string[], pattern?: RegExp): Promise<string | null> {
  const r = await execa(file, args, { all: true, reject: false, timeout: 15_000 });
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI colours from tool output
  const text = (r.all ?? '').replace(/\u001b\[[0-9;]*m/g, '');
  const line = pattern ? text.split('\n').find((l) => pattern.test(l)) : text.split('\n')[0];
  return line?.trim() || null;
}

export function javaMajor(versionLine: string): number | null {
  const m = versionLine.match(/version "(\d+)(?:\.(\d+))?/);
  if (!m?.[1]) return null;
  const major = Number(m[1]);
  return major === 1 && m[2] ? Number(m[2]) : major;
}

/** `flix doctor`: everything flix needs on this machine, each with the command that fixes it. */
export async function runDoctor(
  opts: { clusterFile?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Check[]> {
  const env = opts.env ?? process.env;
  return [
    nodeCheck(),
    ...(await toolChecks()),
    ...engineChecks(env),
    ...(await engineUserChecks(env)),
    await diskCheck(env),
    memoryCheck(),
    await portsCheck(resolveClusterFile(opts.clusterFile)),
  ];
}

function nodeCheck(): Check {
  const nodeMajor = Number(process.versions.node.split('.')[0]);
  return {
    check: 'node',
    status: nodeMajor >= 20 ? 'ok' : 'problem',
    detail: `v${process.versions.node}`,
    fix: nodeMajor >= 20 ? undefined : 'install Node.js 20 or newer',
  };
}

/** Each system binary, with its version; Java must be 17 or newer. */
async function toolChecks(): Promise<Check[]> {
  const checks: Check[] = [];
  const versionArgs: Record<string, string[]> = {
    mvn: ['-v'],
    ffmpeg: ['-version'],
    ffprobe: ['-version'],
    nginx: ['-v'],
    memcached: ['-V'],
    mariadbd: ['--version'],
  };
  for (const tool of toolsForPlatform()) {
    const path = findBinary(tool.binary);
    if (!path) {
      checks.push({
        check: tool.binary,
        status: 'problem',
        detail: `missing (${tool.purpose})`,
        fix: setupFix,
      });
    } else if (tool.binary === 'java') {
      const line = (await versionOf(path, ['-version'], /version "/)) ?? '';
      const major = javaMajor(line);
      const ok = major !== null && major >= 17;
      checks.push({
        check: 'java',
        status: ok ? 'ok' : 'problem',
        detail: line || path,
        fix: ok
          ? undefined
          : 'apt-get install -y openjdk-17-jre-headless (Kafka, Cassandra 5 and Elasticsearch 8 need Java 17+)',
      });
    } else {
      const args = versionArgs[tool.binary];
      const version = args ? await versionOf(path, args) : null;
      checks.push({ check: tool.binary, status: 'ok', detail: version ?? path });
    }
  }
  return checks;
}

/** The JVM engines fetched from Maven Central. */
function engineChecks(env: NodeJS.ProcessEnv): Check[] {
  return mavenEngines(enginesDir(env)).map((e) => ({
    check: `${e.profile} ${e.version}`,
    status: e.installed ? 'ok' : 'problem',
    detail: e.installed ? e.home : `not installed (${e.home})`,
    fix: e.installed ? undefined : setupFix,
  }));
}

/** As root: the unprivileged user Elasticsearch runs as, and its way into $FLIX_HOME. */
async function engineUserChecks(env: NodeJS.ProcessEnv): Promise<Check[]> {
  if (process.getuid?.() !== 0 || process.platform !== 'linux') return [];
  const u = lookupUser(engineUser);
  const checks: Check[] = [
    {
      check: `user ${engineUser}`,
      status: u ? 'ok' : 'problem',
      detail: u
        ? `uid ${u.uid} (Elasticsearch runs as it; it refuses root)`
        : 'missing: Elasticsearch refuses to run as root',
      fix: u ? undefined : setupFix,
    },
  ];
  if (u && findBinary('runuser')) {
    const blocked = await firstBlockedOnWayTo(flixHome(env));
    checks.push({
      check: `${engineUser} can enter $FLIX_HOME`,
      status: blocked ? 'problem' : 'ok',
      detail: blocked ? `cannot enter ${blocked}` : flixHome(env),
      fix: blocked ? setupFix : undefined,
    });
  }
  return checks;
}

async function diskCheck(env: NodeJS.ProcessEnv): Promise<Check> {
  const home = flixHome(env);
  try {
    const fs = await statfs(existingParent(home));
    const freeGiB = (fs.bavail * fs.bsize) / 2 ** 30;
    return {
      check: 'disk',
      status: freeGiB >= 5 ? 'ok' : freeGiB >= 2 ? 'warn' : 'problem',
      detail: `${freeGiB.toFixed(1)} GiB free for ${home}`,
      fix:
        freeGiB >= 5
          ? undefined
          : `free space, or point FLIX_HOME at a larger disk: export FLIX_HOME=/path/with/space`,
    };
  } catch (e) {
    return { check: 'disk', status: 'warn', detail: `cannot stat ${home}: ${(e as Error).message}` };
  }
}

function memoryCheck(): Check {
  const totalGiB = totalmem() / 2 ** 30;
  const freeGiB = freemem() / 2 ** 30;
  return {
    check: 'memory',
    status: totalGiB >= 6 ? 'ok' : totalGiB >= 4 ? 'warn' : 'problem',
    detail: `${totalGiB.toFixed(1)} GiB total, ${freeGiB.toFixed(1)} GiB free (the default cluster uses about 3.5 GiB, ci about 2 GiB)`,
    fix: totalGiB >= 6 ? undefined : 'use the small cluster: flix up --cluster ci',
  };
}

/** The cluster file parses, and the ports it pins are free. */
async function portsCheck(file: string): Promise<Check> {
  try {
    const { definition } = await loadClusterDefinition(file);
    const pinned = portRequests(definition).filter((r) => r.pinned !== undefined);
    const busy: string[] = [];
    for (const r of pinned)
      if (!(await loopbackPorts.isFree(r.pinned as number))) busy.push(`${r.pinned} (${r.component})`);
    return {
      check: 'ports',
      status: busy.length ? 'problem' : 'ok',
      detail: busy.length
        ? `pinned ports in use: ${busy.join(', ')}`
        : `${pinned.length} pinned port(s) free in ${file}; the rest are assigned at flix up`,
      fix: busy.length ? `stop what holds them (ss -ltnp) or set them to auto in ${file}` : undefined,
    };
  } catch (e) {
    return { check: 'cluster file', status: 'problem', detail: (e as Error).message, fix: `fix ${file}` };
  }
}

function existingParent(p: string): string {
  let cur = resolve(p);
  while (!existsSync(cur) && cur !== dirname(cur)) cur = dirname(cur);
  return cur;
}
