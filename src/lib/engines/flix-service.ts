import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { ComponentPlan } from '../cluster/components.js';
import { flixBin } from '../core/paths.js';
import type { EngineContext, EngineDriver } from './driver.js';

/** OpenTelemetry, loaded before the service's own modules when the cluster traces. */
const tracingPreload = fileURLToPath(new URL('./zipkin/preload.js', import.meta.url));

/** Runs a flix service as `flix serve <service>`; healthy when its /health answers 200. */
export const serviceDriver: EngineDriver = {
  metricsPath: '/metrics',

  async prepare(c) {
    await mkdir(c.dataDir, { recursive: true });
  },

  launch(c: ComponentPlan, ctx: EngineContext) {
    const serve = [
      flixBin,
      'serve',
      String(c.settings.service),
      '--name',
      ctx.clusterName,
      '--component',
      c.name,
    ];
    const env = { ...process.env, FLIX_SUPERVISOR: undefined };
    if (!c.settings.zipkin) return { file: process.execPath, args: serve, env };
    return {
      file: process.execPath,
      args: ['--import', tracingPreload, ...serve],
      env: {
        ...env,
        FLIX_ZIPKIN: String(c.settings.zipkin),
        FLIX_SERVICE: String(c.settings.service),
        FLIX_COMPONENT: c.name,
        FLIX_ZONE: c.zone ?? '',
        FLIX_TRACE_SAMPLING: String(c.settings.traceSampling ?? 1),
        FLIX_TRACE_ROOTS: String(c.settings.traceRoots ?? 0),
      },
    };
  },

  async probe(c) {
    const res = await fetch(`${c.endpoint}/health`, { signal: AbortSignal.timeout(2000) });
    const body = await res.text();
    if (res.status !== 200)
      throw new Error(`${c.name} /health answered ${res.status}: ${body.slice(0, 200)}`);
  },
};
