import { readdirSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import cassandra from 'cassandra-driver';
import type { ComponentPlan } from '../cluster/components.js';
import { templatesDir } from '../paths.js';
import type { EngineContext, EngineDriver } from './driver.js';
import { heapFlags, javaBinary } from './java.js';
import { renderTemplateFile } from './template.js';
import { mavenEngineHome } from './versions.js';

/** The Java 17 module flags Cassandra needs (templates/cassandra/jvm17-server.options), one per line. */
function jvm17Options(): string[] {
  return readFileSync(join(templatesDir, 'cassandra', 'jvm17-server.options'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

function jammAgent(lib: string): string {
  const jar = readdirSync(lib).find((f) => /^jamm-.*\.jar$/.test(f));
  if (!jar) throw new Error(`no jamm jar in ${lib}; run \`flix setup\` again`);
  return `-javaagent:${join(lib, jar)}`;
}

/** Cassandra 5 as one node: the wide-column store (history, bookmarks, counters, comments). */
export const cassandraDriver: EngineDriver = {
  async prepare(c) {
    await mkdir(c.dataDir, { recursive: true });
    await renderTemplateFile('cassandra/cassandra.yaml', join(c.confDir, 'cassandra.yaml'), {
      clusterName: `flix-${c.name}`,
      nativePort: c.ports.native as number,
      storagePort: c.ports.storage as number,
      dataDir: c.dataDir,
    });
    await renderTemplateFile('cassandra/logback.xml', join(c.confDir, 'logback.xml'), {});
  },

  launch(c: ComponentPlan, ctx: EngineContext) {
    const lib = join(mavenEngineHome(ctx.enginesDir, 'cassandra'), 'lib');
    return {
      file: javaBinary(),
      args: [
        ...heapFlags(c.settings.heap as string),
        ...jvm17Options(),
        jammAgent(lib),
        `-Dcassandra.config=file://${join(c.confDir, 'cassandra.yaml')}`,
        `-Dcassandra.storagedir=${c.dataDir}`,
        `-Dlogback.configurationFile=file://${join(c.confDir, 'logback.xml')}`,
        '-Dcassandra-foreground=yes',
        `-Dcassandra.jmx.local.port=${c.ports.jmx}`,
        '-Dcassandra.skip_wait_for_gossip_to_settle=0',
        '-Dcassandra.initial_token=0',
        '-cp',
        `${c.confDir}:${lib}/*`,
        'org.apache.cassandra.service.CassandraDaemon',
      ],
    };
  },

  async probe(c) {
    const client = new cassandra.Client({
      contactPoints: [c.endpoint],
      localDataCenter: 'datacenter1',
      socketOptions: { connectTimeout: 2000, readTimeout: 5000 },
      pooling: { warmup: false },
    });
    try {
      await client.connect();
      await client.execute('SELECT release_version FROM system.local');
    } finally {
      await client.shutdown();
    }
  },
};
