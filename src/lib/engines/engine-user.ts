import { readFileSync } from 'node:fs';

/** The unprivileged account flix runs Elasticsearch as when flix itself runs as root. */
export const engineUser = 'flix';

export function lookupUser(name: string): { uid: number; gid: number } | null {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name && f[2] && f[3]) return { uid: Number(f[2]), gid: Number(f[3]) };
    }
  } catch {
    // no /etc/passwd (macOS keeps users elsewhere; there flix is not run as root)
  }
  return null;
}

/** null when not root: engines then run as the current user. */
export function engineRunAs(): { uid: number; gid: number } | null | 'missing' {
  if (process.getuid?.() !== 0) return null;
  return lookupUser(engineUser) ?? 'missing';
}
