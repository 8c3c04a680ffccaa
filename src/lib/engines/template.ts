import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { templatesDir } from '../core/paths.js';

/** Replace every {{name}}; an unknown placeholder is a bug, so it throws rather than ship a broken config. */
export function renderTemplate(
  text: string,
  values: Record<string, string | number>,
  source = 'template',
): string {
  return text.replace(/\{\{([a-zA-Z0-9_]+)\}\}/g, (_m, key: string) => {
    const v = values[key];
    if (v === undefined) throw new Error(`${source}: no value for placeholder {{${key}}}`);
    return String(v);
  });
}

/** Render templates/<rel> into dest (mode 0600 when it holds a secret). */
export async function renderTemplateFile(
  rel: string,
  dest: string,
  values: Record<string, string | number>,
  opts: { secret?: boolean } = {},
): Promise<void> {
  const text = await readFile(join(templatesDir, rel), 'utf8');
  await mkdir(dirname(dest), { recursive: true });
  const mode = opts.secret ? 0o600 : 0o644;
  await writeFile(dest, renderTemplate(text, values, rel), { mode });
  // writeFile keeps the mode of a file that exists: a secret written by an older flix is closed now
  await chmod(dest, mode);
}
