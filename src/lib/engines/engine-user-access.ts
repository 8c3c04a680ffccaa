import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { execa } from 'execa';
import { engineUser } from './engine-user.js';

/** Can the engine user enter this directory? (asked as that user, so ACLs and modes both count) */
export async function engineUserCanEnter(dir: string): Promise<boolean> {
  const r = await execa('runuser', ['-u', engineUser, '--', 'test', '-x', dir], { reject: false });
  return r.exitCode === 0;
}

/** The existing directories from / down to dir. */
function chainTo(dir: string): string[] {
  const chain: string[] = [];
  for (let cur = resolve(dir); ; cur = dirname(cur)) {
    if (existsSync(cur)) chain.unshift(cur);
    if (cur === dirname(cur)) break;
  }
  return chain;
}

/**
 * The first directory on the way from / to dir that the engine user cannot enter (the ones
 * below it cannot be judged until it is passable), or null when the way is open.
 */
export async function firstBlockedOnWayTo(dir: string): Promise<string | null> {
  for (const d of chainTo(dir)) if (!(await engineUserCanEnter(d))) return d;
  return null;
}

/**
 * Let the engine user pass through (x, not read) each directory on the way to dir that stops it —
 * for example /root, which is 700 — with an ACL entry for that one user. Returns what it changed.
 */
export async function grantTraverseTo(dir: string): Promise<string[]> {
  const granted: string[] = [];
  for (const d of chainTo(dir)) {
    if (await engineUserCanEnter(d)) continue;
    await execa('setfacl', ['-m', `u:${engineUser}:x`, d]);
    granted.push(d);
  }
  return granted;
}
