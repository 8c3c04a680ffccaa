import { FlixError } from './errors.js';

/** `30d`, `12h`, `15m`, `90s` or a number of seconds, as whole seconds; a usage error otherwise. */
export function parseDurationSeconds(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d)?$/.exec(text.trim());
  if (!m) {
    throw new FlixError(`'${text}' is not a duration`, {
      code: 'usage',
      nextStep: 'use e.g. 90s, 15m, 12h or 30d',
    });
  }
  return Math.round(
    Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'],
  );
}
