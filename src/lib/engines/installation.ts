import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineId } from '../cluster/components.js';
import { engineCatalog } from '../cluster/engine-kinds.js';
import { findBinary } from './binaries.js';
import { type EngineVersions, installedMarker, mavenEngineHome } from './versions.js';

export interface EngineInstallation {
  engine: EngineId;
  installed: boolean;
  /** where it is: an engine home or the binaries found */
  location: string | null;
  /** what is missing, in words */
  missing: string[];
}

export function checkEngine(engine: EngineId, enginesDir: string): EngineInstallation {
  const src = engineCatalog[engine].source;
  if (src.kind === 'maven') {
    const home = mavenEngineHome(enginesDir, src.dirPrefix as keyof EngineVersions);
    const ok = existsSync(join(home, installedMarker));
    return { engine, installed: ok, location: ok ? home : null, missing: ok ? [] : [home] };
  }
  const found = src.binaries.map((b) => [b, findBinary(b)] as const);
  const missing = found.filter(([, p]) => !p).map(([b]) => b);
  return {
    engine,
    installed: missing.length === 0,
    location:
      found
        .map(([, p]) => p)
        .filter(Boolean)
        .join(', ') || null,
    missing,
  };
}
