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

export async function runDoctor(
  opts: { clusterFile?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Check[]> {
  const env = opts.env ?? process.env;
  const checks: Check[] = [];

  const nodeMajor = Number(process.versions.node.split('.')[0]);
  checks.push({
    check: 'node',
    status: nodeMajor >= 20 ? 'ok' : 'problem',
    detail: `v${process.versions.node}`,
    fix: nodeMajor >= 20 ? undefined : 'install Node.js 20 or newer',
  });

  for (const tool of toolsForPlatform()) {
    const path = findBinary(tool.binary);
    if (!path) {
      checks.push({
        check: tool.binary,
        status: 'problem',
        detail: `missing (${tool.purpose})`,
        fix: setupFix,
      });
      continue;
    }
    if (tool.binary === 'java') {
      const line = (await versionOf(path, ['-version'], /version "/)) ?? '';
      const major = javaMajor(line);
      checks.push({
        check: 'java',
        status: major !== null && major >= 17 ? 'ok' : 'problem',
        detail: line || path,
        fix:
          major !== null && major >= 17
            ? undefined
            : 'apt-get install -y openjdk-17-jre-headless (Kafka, Cassandra 5 and Elasticsearch 8 need Java 17+)',
      });
      continue;
    }
    const args: Record<string, string[]> = {
      mvn: ['-v'],
      ffmpeg: ['-version'],
      ffprobe: ['-version'],
      nginx: ['-v'],
      memcached: ['-V'],
      mariadbd: ['--version'],
    };
    const version = args[tool.binary] ? await versionOf(path, args[tool.binary] as string[]) : null;
    checks.push({ check: tool.binary, status: 'ok', detail: version ?? path });
  }

  for (const e of mavenEngines(enginesDir(env))) {
    checks.push({
      check: `${e.profile} ${e.version}`,
      status: e.installed ? 'ok' : 'problem',
      detail: e.installed ? e.home : `not installed (${e.home})`,
      fix: e.installed ? undefined : setupFix,
    });
  }

  if (process.getuid?.() === 0 && process.platform === 'linux') {
    const u = lookupUser(engineUser);
    checks.push({
      check: `user ${engineUser}`,
      status: u ? 'ok' : 'problem',
      detail: u
        ? `uid ${u.uid} (Elasticsearch runs as it; it refuses root)`
        : 'missing: Elasticsearch refuses to run as root',
      fix: u ? undefined : setupFix,
    });
    if (u && findBinary('runuser')) {
      const blocked = await firstBlockedOnWayTo(flixHome(env));
      checks.push({
        check: `${engineUser} can enter $FLIX_HOME`,
        status: blocked ? 'problem' : 'ok',
        detail: blocked ? `cannot enter ${blocked}` : flixHome(env),
        fix: blocked ? setupFix : undefined,
      });
    }
  }

  const home = flixHome(env);
  try {
    const fs = await statfs(existingParent(home));
    const freeGiB = (fs.bavail * fs.bsize) / 2 ** 30;
    checks.push({
      check: 'disk',
      status: freeGiB >= 5 ? 'ok' : freeGiB >= 2 ? 'warn' : 'problem',
      detail: `${freeGiB.toFixed(1)} GiB free for ${home}`,
      fix:
        freeGiB >= 5
          ? undefined
          : `free space, or point FLIX_HOME at a larger disk: export FLIX_HOME=/path/with/space`,
    });
  } catch (e) {
    checks.push({ check: 'disk', status: 'warn', detail: `cannot stat ${home}: ${(e as Error).message}` });
  }

  const totalGiB = totalmem() / 2 ** 30;
  const freeGiB = freemem() / 2 ** 30;
  checks.push({
    check: 'memory',
    status: totalGiB >= 6 ? 'ok' : totalGiB >= 4 ? 'warn' : 'problem',
    detail: `${totalGiB.toFixed(1)} GiB total, ${freeGiB.toFixed(1)} GiB free (the default cluster uses about 3.5 GiB, ci about 2 GiB)`,
    fix: totalGiB >= 6 ? undefined : 'use the small cluster: flix up --cluster ci',
  });

  const file = resolveClusterFile(opts.clusterFile);
  try {
    const { definition } = await loadClusterDefinition(file);
    const pinned = portRequests(definition).filter((r) => r.pinned !== undefined);
    const busy: string[] = [];
    for (const r of pinned)
      if (!(await loopbackPorts.isFree(r.pinned as number))) busy.push(`${r.pinned} (${r.component})`);
    checks.push({
      check: 'ports',
      status: busy.length ? 'problem' : 'ok',
      detail: busy.length
        ? `pinned ports in use: ${busy.join(', ')}`
        : `${pinned.length} pinned port(s) free in ${file}; the rest are assigned at flix up`,
      fix: busy.length ? `stop what holds them (ss -ltnp) or set them to auto in ${file}` : undefined,
    });
  } catch (e) {
    checks.push({
      check: 'cluster file',
      status: 'problem',
      detail: (e as Error).message,
      fix: `fix ${file}`,
    });
  }

  return checks;
}

function existingParent(p: string): string {
  let cur = resolve(p);
  while (!existsSync(cur) && cur !== dirname(cur)) cur = dirname(cur);
  return cur;
}
