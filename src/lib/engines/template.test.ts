import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { templatesDir } from '../core/paths.js';
import { renderTemplate } from './template.js';
import { engineVersions } from './versions.js';

describe('templates', () => {
  it('replaces every placeholder', () => {
    expect(renderTemplate('listen {{host}}:{{port}};', { host: '127.0.0.1', port: 8080 })).toBe(
      'listen 127.0.0.1:8080;',
    );
  });

  it('refuses to render a config with a placeholder it has no value for', () => {
    expect(() => renderTemplate('x={{missing}}', {}, 'kafka/server.properties')).toThrow(
      'kafka/server.properties: no value for placeholder {{missing}}',
    );
  });

  it('reads pinned engine versions from the pom', () => {
    const v = engineVersions();
    expect(v.kafka).toMatch(/^3\.9\.\d+$/);
    expect(v.cassandra).toMatch(/^5\.0\.\d+$/);
    expect(v.elasticsearch).toMatch(/^8\.\d+\.\d+$/);
  });

  it('uses only placeholders the drivers provide', () => {
    const provided: Record<string, string[]> = {
      kafka: ['brokerPort', 'controllerPort', 'dataDir'],
      cassandra: ['clusterName', 'nativePort', 'storagePort', 'dataDir'],
      elasticsearch: ['clusterName', 'dataDir', 'logDir', 'httpPort', 'transportPort'],
      s3proxy: ['port', 'dataDir', 'accessKey', 'secretKey'],
      nginx: [
        'prefix',
        'confPath',
        'port',
        'originPort',
        'originBucket',
        'cacheDir',
        'cacheMaxSize',
        'zone',
        'accessLog',
        'jsPath',
      ],
    };
    for (const [dir, names] of Object.entries(provided)) {
      for (const file of readdirSync(join(templatesDir, dir))) {
        const text = readFileSync(join(templatesDir, dir, file), 'utf8');
        const used = [...text.matchAll(/\{\{([a-zA-Z0-9_]+)\}\}/g)].map((m) => m[1]);
        for (const u of used) expect(names, `${dir}/${file} uses {{${u}}}`).toContain(u);
      }
    }
  });
});
