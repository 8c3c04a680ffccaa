import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/**
 * Find an executable on PATH, plus the sbin dirs where Debian puts servers (nginx, mariadbd). An
 * absolute path names a file that must be there (a module a server loads, such as nginx's njs).
 */
export function findBinary(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (isAbsolute(name)) {
    try {
      accessSync(name, constants.R_OK);
      return name;
    } catch {
      return null;
    }
  }
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

/** nginx's JavaScript module (Debian's libnginx-mod-http-js), which the edges load. */
export const NJS_MODULE = '/usr/lib/nginx/modules/ngx_http_js_module.so';
