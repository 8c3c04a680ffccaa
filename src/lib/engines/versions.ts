import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { templatesDir } from '../core/paths.js';

/** The pinned versions of the JVM engines, read from templates/engines/pom.xml (the one place they are set). */
export interface EngineVersions {
  kafka: string;
  cassandra: string;
  elasticsearch: string;
  s3proxy: string;
  zipkin: string;
  /** not a cluster engine: the recommendations' offline training job runs on it */
  spark: string;
}

let cached: EngineVersions | null = null;

export function engineVersions(): EngineVersions {
  if (cached) return cached;
  const pom = readFileSync(join(templatesDir, 'engines', 'pom.xml'), 'utf8');
  const prop = (name: string) => {
    const m = pom.match(new RegExp(`<${name}\\.version>([^<]+)</${name}\\.version>`));
    if (!m?.[1]) throw new Error(`templates/engines/pom.xml has no <${name}.version>`);
    return m[1];
  };
  cached = {
    kafka: prop('kafka'),
    cassandra: prop('cassandra'),
    elasticsearch: prop('elasticsearch'),
    s3proxy: prop('s3proxy'),
    zipkin: prop('zipkin'),
    spark: prop('spark'),
  };
  return cached;
}

/** Where a Maven-fetched engine lives: $FLIX_HOME/engines/<prefix>-<version>. */
export function mavenEngineHome(enginesDir: string, prefix: keyof EngineVersions): string {
  return join(enginesDir, `${prefix}-${engineVersions()[prefix]}`);
}

/** Written last by `flix setup`, so a half-finished fetch never counts as installed. */
export const installedMarker = '.flix-installed';
