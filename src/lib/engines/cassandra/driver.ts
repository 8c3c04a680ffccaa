import { readdirSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import cassandra from 'cassandra-driver';
import type { ComponentPlan } from '../../cluster/components.js';
import { templatesDir } from '../../core/paths.js';
import { findBinary } from '../binaries.js';
import type { EngineContext, EngineDriver } from '../driver.js';
import { heapFlags, javaBinary } from '../java.js';
import { renderTemplateFile } from '../template.js';
import { mavenEngineHome } from '../versions.js';

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

/** A quarter of the heap for G1's young generation (measured: ~80 MB less RSS than the default). */
export function youngGeneration(heap: string): string {
  const m = heap.match(/^(\d+)([mg])$/);
  if (!m) return '64m';
  const mb = Number(m[1]) * (m[2] === 'g' ? 1024 : 1);
  return `${Math.max(16, Math.floor(mb / 4))}m`;
}

/** Cassandra 5 as one node: the wide-column store (history, bookmarks, counters, comments). */
export const cassandraDriver: EngineDriver = {
  async prepare(c) {
    await mkdir(join(c.dataDir, 'triggers'), { recursive: true });
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
    const java = [
      javaBinary(),
      ...heapFlags(c.settings.heap as string),
      `-Xmn${youngGeneration(c.settings.heap as string)}`,
      ...jvm17Options(),
      jammAgent(lib),
      `-Dcassandra.config=file://${join(c.confDir, 'cassandra.yaml')}`,
      `-Dcassandra.storagedir=${c.dataDir}`,
      `-Dlogback.configurationFile=file://${join(c.confDir, 'logback.xml')}`,
      '-Dcassandra-foreground=yes',
      `-Dcassandra.jmx.local.port=${c.ports.jmx}`,
      // else JMX opens a second listener on a random port
      `-Dcom.sun.management.jmxremote.rmi.port=${c.ports.jmx}`,
      '-Dcassandra.skip_wait_for_gossip_to_settle=0',
      // no 2 s "announcing shutdown" sleep on SIGTERM: nobody to tell on one node
      '-Dcassandra.shutdown_announce_in_ms=0',
      `-Dcassandra.triggers_dir=${join(c.dataDir, 'triggers')}`,
      `-Djava.io.tmpdir=${c.dataDir}`,
      '-cp',
      `${c.confDir}:${lib}/*`,
      'org.apache.cassandra.service.CassandraDaemon',
    ];
    // As root, Cassandra's mlockall succeeds and pins the whole heap (~900 MB RSS at 512m).
    // setpriv drops CAP_IPC_LOCK and then execs java, so the pid is still the JVM's.
    if (process.getuid?.() === 0 && findBinary('setpriv')) {
      return { file: findBinary('setpriv') as string, args: ['--bounding-set=-ipc_lock', '--', ...java] };
    }
    return { file: java[0] as string, args: java.slice(1) };
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
