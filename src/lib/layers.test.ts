import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The shape of the code, checked: imports point down the layers and never form a circle.
 *
 *   commands → ops, player → services → platform, media → engines, runtime → cluster → core
 *
 * A service may use another service's messages and storage (`contract.ts`, `store.ts`), never
 * its routes; only `services/registry.ts` knows every service.
 */
const lib = import.meta.dirname;
const src = resolve(lib, '..');

/** Which top-level folders each folder of src/lib may import from (besides itself). */
const allowed: Record<string, readonly string[]> = {
  core: [],
  cluster: ['core'],
  engines: ['core', 'cluster'],
  media: ['core'],
  load: ['core'],
  chaos: ['core'],
  runtime: ['core', 'cluster', 'engines'],
  platform: ['core', 'cluster', 'engines'],
  services: ['core', 'cluster', 'engines', 'media', 'platform'],
  player: ['core', 'cluster', 'media', 'platform', 'services'],
  ops: ['core', 'cluster', 'engines', 'media', 'load', 'chaos', 'runtime', 'platform', 'services', 'player'],
};

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'testdata') sources(p, out);
    } else if (/\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name)) out.push(p);
  }
  return out;
}

/** Relative imports of a file (type-only ones too: they shape the code as much), as absolute paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
    const spec = m[1] as string;
    const base = resolve(dirname(file), spec);
    out.push(base.replace(/\.js$/, base.endsWith('.js') && tsxExists(base) ? '.tsx' : '.ts'));
  }
  return out;
}
const tsxExists = (jsPath: string) => {
  try {
    return statSync(jsPath.replace(/\.js$/, '.tsx')).isFile();
  } catch {
    return false;
  }
};

const files = [...sources(lib), ...sources(join(src, 'commands'))];
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const rel = (f: string) => relative(src, f);
const layerOf = (f: string) => {
  const r = relative(lib, f);
  return r.startsWith('..') ? 'commands' : (r.split('/')[0] as string);
};

describe('the shape of src/', () => {
  it('has no import circles', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (f: string) => {
      state.set(f, 'open');
      stack.push(f);
      for (const to of graph.get(f) ?? []) {
        if (!graph.has(to)) continue;
        if (state.get(to) === 'open')
          cycles.push([...stack.slice(stack.indexOf(to)), to].map(rel).join(' → '));
        else if (!state.has(to)) visit(to);
      }
      stack.pop();
      state.set(f, 'done');
    };
    for (const f of files) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });

  it('imports only downwards', () => {
    const wrong: string[] = [];
    for (const [from, tos] of graph) {
      const a = layerOf(from);
      for (const to of tos) {
        const b = layerOf(to);
        if (b === 'commands' && a !== 'commands') wrong.push(`${rel(from)} → ${rel(to)}`);
        if (a === 'commands' || a === b) continue;
        if (!allowed[a]?.includes(b)) wrong.push(`${rel(from)} → ${rel(to)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('lets a service use another service only through its contract or its storage', () => {
    const wrong: string[] = [];
    for (const [from, tos] of graph) {
      const r = relative(join(lib, 'services'), from);
      if (r.startsWith('..') || r === 'registry.ts') continue;
      const own = r.split('/')[0];
      for (const to of tos) {
        const t = relative(join(lib, 'services'), to);
        if (t.startsWith('..')) continue;
        const [service, file] = t.split('/');
        if (service !== own && file !== 'contract.ts' && file !== 'store.ts')
          wrong.push(`${rel(from)} → ${rel(to)}`);
      }
    }
    for (const [from, tos] of graph) {
      if (layerOf(from) !== 'player') continue;
      for (const to of tos) {
        if (layerOf(to) === 'services' && !to.endsWith('/contract.ts'))
          wrong.push(`${rel(from)} → ${rel(to)}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
