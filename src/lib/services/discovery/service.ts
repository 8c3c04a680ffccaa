import { z } from 'zod';
import type { ServiceContext, ServiceHandle } from '../../platform/host.js';
import { HttpError, Router, reply, validate } from '../../platform/http/router.js';
import { Registry } from './registry.js';

const registration = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]{1,64}$/),
  service: z.string().regex(/^[a-z0-9-]{1,32}$/),
  zone: z.string().nullable(),
  url: z.string().url(),
  canary: z.boolean().default(false),
});

/**
 * The discovery service (one per zone): instances register, heartbeat and deregister; clients
 * read the live instances. Each zone's registry is independent — services register with all of
 * them, so losing a zone loses nothing but that zone's instances.
 *
 *   POST   /v1/instances                 register (body: id, service, zone, url, canary)
 *   PUT    /v1/instances/:id/heartbeat   renew the lease (404: unknown, register again)
 *   DELETE /v1/instances/:id             deregister
 *   GET    /v1/instances[?service=name]  live instances
 */
export async function startDiscovery(ctx: ServiceContext): Promise<ServiceHandle> {
  const leaseMs = Number(ctx.component.settings.leaseSeconds ?? 6) * 1000;
  const registry = new Registry(leaseMs);
  let registrations = 0;
  let evictions = 0;
  const sweep = setInterval(() => {
    const gone = registry.evictExpired();
    evictions += gone.length;
    for (const id of gone) ctx.log.info('lease expired', { instance: id });
  }, 1000);

  const router = new Router()
    .post('/v1/instances', (req) => {
      const r = validate(registration, req.body);
      const known = registry.list().some((i) => i.id === r.id);
      registry.register(r);
      registrations++;
      if (!known)
        ctx.log.info('registered', { instance: r.id, service: r.service, zone: r.zone, url: r.url });
      return reply(204);
    })
    .put('/v1/instances/:id/heartbeat', (req) => {
      if (!registry.heartbeat(req.params.id as string))
        throw new HttpError(404, 'unknown-instance', `${req.params.id} is not registered; register again`);
      return reply(204);
    })
    .delete('/v1/instances/:id', (req) => {
      const removed = registry.deregister(req.params.id as string);
      if (removed) ctx.log.info('deregistered', { instance: req.params.id });
      return reply(204);
    })
    .get('/v1/instances', (req) => {
      const service = req.query.get('service') ?? undefined;
      return { zone: ctx.component.zone, instances: registry.list(service) };
    });

  return {
    router,
    async stop() {
      clearInterval(sweep);
    },
    status() {
      const live = registry.list();
      return {
        leaseMs,
        registrations,
        evictions,
        instances: live.length,
        services: countBy(live.map((i) => i.service)),
      };
    },
  };
}

function countBy(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}
