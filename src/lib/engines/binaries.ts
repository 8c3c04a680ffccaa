import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Find an executable on PATH, plus the sbin dirs where Debian puts servers (nginx, mariadbd). */
export function findBinary(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const dirs = [...(env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return null;
}

export function requireBinary(name: string): string {
  const p = findBinary(name);
  if (!p) throw new Error(`${name} is not installed (run \`flix setup\`)`);
  return p;
}
