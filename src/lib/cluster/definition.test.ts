import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FlixError } from '../core/errors.js';
import { builtinClustersDir } from '../core/paths.js';
import { parseClusterDefinition } from './definition.js';

const parse = (text: string) => parseClusterDefinition(text, 'my.yaml');

function errorOf(text: string): FlixError {
  try {
    parse(text);
  } catch (e) {
    return e as FlixError;
  }
  throw new Error('expected the definition to be refused');
}

describe('cluster definition', () => {
  it('fills every default from just the zones', () => {
    const def = parse('zones: [a, b]');
    expect(def.zones).toEqual(['a', 'b']);
    expect(def.engines.kafka).toEqual({
      enabled: true,
      heap: '512m',
      ports: { broker: 'auto', controller: 'auto' },
    });
    expect(def.engines.edge.ports.http).toBe('auto');
    expect(def.restart).toEqual({
      policy: 'on-failure',
      maxRestarts: 5,
      windowSeconds: 600,
      backoffMs: 1000,
    });
    expect(def.timeouts.stopSeconds).toBe(20);
  });

  it('accepts the built-in definitions', () => {
    for (const name of ['default', 'ci']) {
      const file = join(builtinClustersDir, `${name}.yaml`);
      const def = parseClusterDefinition(readFileSync(file, 'utf8'), file);
      expect(def.zones.length).toBeGreaterThanOrEqual(2);
    }
    const ci = parseClusterDefinition(readFileSync(join(builtinClustersDir, 'ci.yaml'), 'utf8'), 'ci.yaml');
    expect(ci.zones).toEqual(['a', 'b']);
  });

  it('keeps pinned ports', () => {
    const def = parse('zones: [a]\nengines:\n  kafka:\n    ports: { broker: 19092 }');
    expect(def.engines.kafka.ports).toEqual({ broker: 19092, controller: 'auto' });
  });

  it('names the file and the field of each problem', () => {
    const e = errorOf(
      'zones: [a]\nengines:\n  kafka:\n    heap: lots\n  memcached:\n    ports: { memcached: 80 }',
    );
    expect(e.exitCode).toBe(3);
    expect(e.details).toContain('my.yaml: engines.kafka.heap: must be a size like 256m or 1g');
    expect(e.details).toContain('my.yaml: engines.memcached.ports.memcached');
  });

  it('refuses unknown fields instead of ignoring a typo', () => {
    const e = errorOf('zones: [a]\nengines:\n  kafak: {}');
    expect(e.details).toMatch(/my\.yaml: engines: .*kafak/);
  });

  it('refuses a cluster without zones, duplicate zones and bad zone names', () => {
    expect(errorOf('engines: {}').details).toContain('my.yaml: zones');
    expect(errorOf('zones: [a, a]').details).toContain('zone names must be unique');
    expect(errorOf('zones: [Zone-A]').details).toContain('my.yaml: zones.0');
  });

  it('reports YAML syntax errors with a position', () => {
    const e = errorOf('zones: [a, b\nengines: {');
    expect(e.message).toMatch(/my\.yaml: not valid YAML \(line \d+, column \d+\)/);
  });

  it('refuses an unknown restart policy', () => {
    expect(errorOf('zones: [a]\nrestart: { policy: sometimes }').details).toContain(
      'my.yaml: restart.policy',
    );
  });
});
