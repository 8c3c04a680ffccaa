import memjs from 'memjs';
import type { ComponentPlan } from '../../cluster/components.js';
import { requireBinary } from '../binaries.js';
import type { EngineContext, EngineDriver } from '../driver.js';

/** One memcached per zone: the EVCache node of that zone. */
export const memcachedDriver: EngineDriver = {
  async prepare() {},

  launch(c: ComponentPlan) {
    const args = [
      '-l',
      '127.0.0.1',
      '-p',
      String(c.ports.memcached),
      '-U',
      '0',
      '-m',
      String(c.settings.memoryMb),
    ];
    // memcached refuses to run as root unless told which user to be
    if (process.getuid?.() === 0) args.unshift('-u', 'root');
    return { file: requireBinary('memcached'), args };
  },

  async probe(c: ComponentPlan, _ctx: EngineContext) {
    const client = memjs.Client.create(`127.0.0.1:${c.ports.memcached}`, {
      retries: 0,
      timeout: 1,
      logger: quiet,
    });
    try {
      const key = `flix:probe:${c.name}`;
      const value = String(Date.now());
      await client.set(key, value, { expires: 60 });
      const got = await client.get(key);
      if (got.value?.toString() !== value)
        throw new Error('memcached returned a different value than was set');
    } finally {
      client.close();
    }
  },
};

const quiet = { log: () => {} };
