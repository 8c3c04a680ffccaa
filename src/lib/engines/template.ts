import { mkdir, readFile, writeFile } from 'node:fs/promises';
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

/** Render templates/<rel> into dest. */
export async function renderTemplateFile(
  rel: string,
  dest: string,
  values: Record<string, string | number>,
): Promise<void> {
  const text = await readFile(join(templatesDir, rel), 'utf8');
  await mkdir(dirname(dest), { recursive: true });
  await writeFile(dest, renderTemplate(text, values, rel));
}
