import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseDurationSeconds } from '../core/durations.js';
import { FlixError } from '../core/errors.js';
import { userTokenFile } from '../core/paths.js';
import { parseRegion } from '../core/regions.js';
import type { User } from '../services/users/contract.js';
import { serviceCall } from './operator.js';

/** The operator's path to the users service (`flix users ...`): creating users is an admin job. */
function usersCall<T>(cluster: string, method: string, path: string, body?: unknown): Promise<T> {
  return serviceCall<T>(cluster, 'users', method, path, body);
}

/** Keeps a user's token where `flix play --user` finds it (mode 0600). */
export async function saveUserToken(cluster: string, user: string, token: string): Promise<string> {
  const file = userTokenFile(cluster, user);
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return file;
}

/** A token's lifetime: `30d`, `12h`, `15m`, `90s` or a number of seconds, at least 1 s. */
export function parseTtl(text: string): number {
  const n = parseDurationSeconds(text);
  if (n < 1) throw new FlixError('a token lives at least 1 s', { code: 'usage' });
  return n;
}

export interface CreatedUser {
  user: User;
  token: string;
  expiresAt: string;
}

/** A user name as the users service takes it: checked here so a bad one is a usage error (exit 2). */
export function checkUserName(name: string): string {
  if (!/^[a-z0-9][a-z0-9_-]{0,31}$/.test(name)) {
    throw new FlixError(
      `'${name}' is not a user name: 1-32 lowercase letters, digits, _ or -, starting with a letter or digit`,
      {
        code: 'usage',
        nextStep: 'e.g. `flix users create alice`',
      },
    );
  }
  return name;
}

/** `flix users create`: a user with an active subscription and a first token (kept for `--user`). */
export async function createUser(
  cluster: string,
  u: { name: string; plan: string; region: string; tokenTtlSeconds: number },
): Promise<CreatedUser & { tokenFile: string }> {
  const checked = { ...u, name: checkUserName(u.name), region: parseRegion(u.region) };
  const created = await usersCall<CreatedUser>(cluster, 'POST', '/v1/users', checked);
  return { ...created, tokenFile: await saveUserToken(cluster, u.name, created.token) };
}

export interface IssuedToken {
  user: { id: string; name: string };
  token: string;
  expiresAt: string;
}

/** `flix users token`: another token for a user, kept for `--user` unless `save` is false. */
export async function issueToken(
  cluster: string,
  user: string,
  ttlSeconds: number,
  save = true,
): Promise<IssuedToken & { tokenFile: string | null }> {
  const issued = await usersCall<IssuedToken>(
    cluster,
    'POST',
    `/v1/users/${encodeURIComponent(user)}/tokens`,
    {
      ttlSeconds,
    },
  );
  return { ...issued, tokenFile: save ? await saveUserToken(cluster, issued.user.name, issued.token) : null };
}

/** `flix users plan`: the operator changes a user's plan and/or the state of the subscription. */
export async function changeSubscription(
  cluster: string,
  user: string,
  change: { plan?: string; status?: 'active' | 'cancelled' },
): Promise<User> {
  return usersCall<User>(cluster, 'PUT', `/v1/users/${encodeURIComponent(user)}/subscription`, change);
}

/** `flix users delete`: the user, their subscription and every token they had. */
export async function deleteUser(cluster: string, user: string): Promise<void> {
  await usersCall(cluster, 'DELETE', `/v1/users/${encodeURIComponent(user)}`);
}

/** `flix users list`. */
export async function listUsers(cluster: string): Promise<User[]> {
  return (await usersCall<{ users: User[] }>(cluster, 'GET', '/v1/users')).users;
}
