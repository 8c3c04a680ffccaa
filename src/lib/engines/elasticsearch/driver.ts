import { existsSync } from 'node:fs';
import { chown, cp, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import type { ComponentPlan } from '../../cluster/components.js';
import type { EngineContext, EngineDriver } from '../driver.js';
import { javaHome } from '../java.js';
import { renderTemplateFile } from '../template.js';
import { mavenEngineHome } from '../versions.js';

/** chown -R, for the directories Elasticsearch writes when it runs as the unprivileged user. */
async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  await chown(dir, uid, gid);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(p, uid, gid);
    else await chown(p, uid, gid);
  }
}

/**
 * Elasticsearch 8 single node: titles index, logs and traces. bin/elasticsearch starts a launcher
 * JVM that forks the server JVM in the same process group; signalling the group stops both, and
 * the server also shuts itself down when the launcher dies. One node: create indices with
 * number_of_replicas 0, or their health stays yellow.
 */
export const elasticsearchDriver: EngineDriver = {
  async prepare(c, ctx) {
    const home = mavenEngineHome(ctx.enginesDir, 'elasticsearch');
    if (!existsSync(join(c.confDir, 'jvm.options'))) {
      await cp(join(home, 'config'), c.confDir, { recursive: true });
    }
    const logDir = join(c.dataDir, 'logs');
    await mkdir(join(c.dataDir, 'data'), { recursive: true });
    await mkdir(logDir, { recursive: true });
    // the launcher leaves final-flags dirs in its tmp dir on every start: start from an empty one
    await rm(join(c.dataDir, 'tmp'), { recursive: true, force: true });
    await mkdir(join(c.dataDir, 'tmp'), { recursive: true });
    await renderTemplateFile('elasticsearch/elasticsearch.yml', join(c.confDir, 'elasticsearch.yml'), {
      clusterName: `flix-${ctx.clusterName}`,
      dataDir: join(c.dataDir, 'data'),
      logDir,
      httpPort: c.ports.http as number,
      transportPort: c.ports.transport as number,
    });
    if (ctx.runAs) {
      await chownTree(c.dataDir, ctx.runAs.uid, ctx.runAs.gid);
      await chownTree(c.confDir, ctx.runAs.uid, ctx.runAs.gid);
    }
  },

  launch(c: ComponentPlan, ctx: EngineContext) {
    const home = mavenEngineHome(ctx.enginesDir, 'elasticsearch');
    const tmp = join(c.dataDir, 'tmp');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      LANG: 'C.UTF-8',
      ES_PATH_CONF: c.confDir,
      ES_JAVA_HOME: javaHome(),
      ES_TMPDIR: tmp,
      // after jvm.options on the server's command line, so these win: no pre-touch (saves ~75 MB),
      // no rotating GC log, no hsperfdata files
      ES_JAVA_OPTS: `-Xms${c.settings.heap} -Xmx${c.settings.heap} -XX:-AlwaysPreTouch -XX:-UsePerfData -Xlog:disable -Xlog:all=warning:stderr`,
      CLI_JAVA_OPTS: `-Djava.io.tmpdir=${tmp} -XX:-UsePerfData`,
    };
    return {
      file: join(home, 'bin', 'elasticsearch'),
      args: [],
      env,
      cwd: c.dataDir,
      ...(ctx.runAs ? { uid: ctx.runAs.uid, gid: ctx.runAs.gid } : {}),
    };
  },

  async probe(c) {
    const client = new Client({ node: c.endpoint, requestTimeout: 3000, maxRetries: 0 });
    try {
      const health = await client.cluster.health({ timeout: '1s' });
      if (health.status === 'red') throw new Error('cluster health is red');
    } finally {
      await client.close();
    }
  },
};
