import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import type { EngineId } from '../../cluster/components.js';
import { engineCatalog } from '../../cluster/engine-kinds.js';
import { FlixError } from '../../core/errors.js';
import { templatesDir } from '../../core/paths.js';
import {
  type EngineVersions,
  engineVersions,
  installedMarker,
  mavenEngineHome,
} from '../../engines/versions.js';

export interface MavenEngine {
  /** a cluster engine, or `spark` (fetched by `flix recs train` on first use) */
  engine: EngineId | 'spark';
  profile: string;
  version: string;
  home: string;
  installed: boolean;
}

export function mavenEngines(enginesDir: string): MavenEngine[] {
  const versions = engineVersions();
  return Object.values(engineCatalog).flatMap((info) => {
    if (info.source.kind !== 'maven') return [];
    const prefix = info.source.dirPrefix as keyof EngineVersions;
    const home = mavenEngineHome(enginesDir, prefix);
    return [
      {
        engine: info.id,
        profile: info.source.profile,
        version: versions[prefix],
        home,
        installed: existsSync(join(home, installedMarker)),
      },
    ];
  });
}

/**
 * Fetch one engine with `mvn -P<profile> package` (templates/engines/pom.xml) into its home, then
 * write the marker. onLine gets a short progress line for every artifact Maven downloads.
 */
export async function fetchMavenEngine(
  e: MavenEngine,
  enginesDir: string,
  onLine: (line: string) => void,
): Promise<void> {
  const args = [
    '-B',
    '-f',
    join(templatesDir, 'engines', 'pom.xml'),
    `-P${e.profile}`,
    `-Dflix.engines=${enginesDir}`,
    'package',
  ];
  const proc = execa('mvn', args, { all: true, reject: false, timeout: 30 * 60_000 });
  const tail: string[] = [];
  proc.all?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      tail.push(line);
      if (tail.length > 30) tail.shift();
      const m = line.match(/Downloaded from \S+: \S+\/([^/\s]+) \(([^)]+)\)/);
      if (m) onLine(`${m[1]} (${m[2]})`);
    }
  });
  const r = await proc;
  if (r.exitCode !== 0) {
    throw new FlixError(`fetching ${e.engine} ${e.version} with Maven failed (exit ${r.exitCode})`, {
      code: 'setupFailed',
      details: `mvn ${args.join(' ')}\n${tail.slice(-15).join('\n')}`,
      nextStep:
        'check that Maven Central is reachable (`mvn -v`, proxy settings in ~/.m2/settings.xml), then run `flix setup --yes` again',
    });
  }
  await writeFile(
    join(e.home, installedMarker),
    `${JSON.stringify({ engine: e.engine, version: e.version, installedAt: new Date().toISOString() })}\n`,
  );
}
