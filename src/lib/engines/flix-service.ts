import { mkdir } from 'node:fs/promises';
import type { ComponentPlan } from '../cluster/components.js';
import { flixBin } from '../core/paths.js';
import type { EngineContext, EngineDriver } from './driver.js';

/** Runs a flix service as `flix serve <service>`; healthy when its /health answers 200. */
export const serviceDriver: EngineDriver = {
  async prepare(c) {
    await mkdir(c.dataDir, { recursive: true });
  },

  launch(c: ComponentPlan, ctx: EngineContext) {
    return {
      file: process.execPath,
      args: [flixBin, 'serve', String(c.settings.service), '--name', ctx.clusterName, '--component', c.name],
      env: { ...process.env, FLIX_SUPERVISOR: undefined },
    };
  },

  async probe(c) {
    const res = await fetch(`${c.endpoint}/health`, { signal: AbortSignal.timeout(2000) });
    const body = await res.text();
    if (res.status !== 200)
      throw new Error(`${c.name} /health answered ${res.status}: ${body.slice(0, 200)}`);
  },
};
