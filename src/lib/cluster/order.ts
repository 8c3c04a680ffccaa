import { FlixError } from '../core/errors.js';

export interface Node {
  name: string;
  dependsOn: string[];
}

/**
 * Start order as waves: every node of a wave depends only on nodes of earlier waves, so a wave
 * starts in parallel (the JVM engines share the first wave). Stop order is the reverse.
 */
export function startWaves(nodes: Node[]): string[][] {
  const names = new Set(nodes.map((n) => n.name));
  for (const n of nodes) {
    for (const d of n.dependsOn) {
      if (!names.has(d)) {
        throw new FlixError(`component ${n.name} depends on ${d}, which is not in the cluster`, {
          code: 'invalidConfig',
          nextStep: `enable ${d} in the cluster file or disable ${n.name}`,
        });
      }
    }
  }
  const done = new Set<string>();
  const waves: string[][] = [];
  let remaining = nodes;
  while (remaining.length > 0) {
    const wave = remaining.filter((n) => n.dependsOn.every((d) => done.has(d))).map((n) => n.name);
    if (wave.length === 0) {
      throw new FlixError(`dependency cycle among: ${remaining.map((n) => n.name).join(', ')}`, {
        code: 'invalidConfig',
      });
    }
    waves.push(wave);
    for (const w of wave) done.add(w);
    remaining = remaining.filter((n) => !done.has(n.name));
  }
  return waves;
}

/** Reverse dependency order: dependents stop before what they depend on. */
export function stopWaves(nodes: Node[]): string[][] {
  return startWaves(nodes).reverse();
}
