import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ComponentPlan } from '../../cluster/components.js';
import type { EngineContext, EngineDriver } from '../driver.js';
import { javaBinary, smallServerFlags } from '../java.js';
import { mavenEngineHome } from '../versions.js';

/**
 * The Zipkin server: the services' spans arrive on POST /api/v2/spans and are read back by
 * `flix trace` and the Zipkin UI at /zipkin/. They are kept in Zipkin's own memory (the newest
 * `maxSpans`): its Elasticsearch storage asks the server's version at `GET /`, which the
 * Elasticsearch build the cluster runs (the integ-test distribution) does not serve.
 */
export const zipkinDriver: EngineDriver = {
  // Armeria's Micrometer registry: spans accepted and dropped, the JVM
  metricsPath: '/prometheus',

  async prepare(c) {
    await mkdir(c.dataDir, { recursive: true });
  },

  launch(c: ComponentPlan, ctx: EngineContext) {
    const port = c.ports.http as number;
    return {
      file: javaBinary(),
      args: [
        ...smallServerFlags(c.settings.heap as string),
        `-Djava.io.tmpdir=${c.dataDir}`,
        '-jar',
        join(mavenEngineHome(ctx.enginesDir, 'zipkin'), 'zipkin.jar'),
        // on loopback only: Armeria listens on every interface unless told
        `--armeria.ports[0].ip=127.0.0.1`,
        `--armeria.ports[0].port=${port}`,
        '--armeria.ports[0].protocols=http',
      ],
      env: {
        ...process.env,
        QUERY_PORT: String(port),
        STORAGE_TYPE: 'mem',
        MEM_MAX_SPANS: String(c.settings.maxSpans),
        // Zipkin tracing itself would only add noise to the services' traces
        SELF_TRACING_ENABLED: 'false',
        JAVA_OPTS: '',
      },
    };
  },

  /** Ready when Zipkin says it and its storage are up. */
  async probe(c) {
    const res = await fetch(`${c.endpoint}/health`, { signal: AbortSignal.timeout(2000) });
    const body = await res.text();
    if (res.status !== 200 || !body.includes('"UP"'))
      throw new Error(`zipkin /health answered ${res.status}: ${body.slice(0, 200)}`);
  },
};
