import { join } from 'node:path';
import { FlixError } from '../core/errors.js';
import type { ClusterPaths } from '../core/paths.js';
import type { ComponentPlan, EngineId, RunnerId } from './components.js';
import type { ClusterDefinition } from './definition.js';
import { engineCatalog, engineIds } from './engine-kinds.js';
import type { PortAssignment, PortRequest } from './ports.js';
import {
  observabilityServices,
  type ServiceId,
  serviceCatalog,
  serviceIds,
  traceEntryServices,
} from './service-kinds.js';

interface Instance {
  name: string;
  engine: RunnerId;
  service: ServiceId | null;
  zone: string | null;
  /** position among this engine's or service's instances; offsets pinned ports */
  index: number;
  /** a canary instance of a service: gets only the traffic the gateway's sharding rules send it */
  canary?: boolean;
}

/**
 * Every component of a cluster, in a stable order: one per enabled engine (one per zone for
 * memcached and edges), then the services: `orchestrator-1`, `transcoder-a-1`, ...
 */
export function instances(def: ClusterDefinition): Instance[] {
  const out: Instance[] = [];
  for (const id of engineIds) {
    if (!def.engines[id].enabled) continue;
    // only flix services send spans and serve metrics: a cluster without them has nothing to
    // trace or scrape
    if ((id === 'zipkin' || id === 'prometheus') && (!def.observability.enabled || !def.services.enabled))
      continue;
    if (engineCatalog[id].perZone) {
      def.zones.forEach((zone, index) => {
        out.push({ name: `${id}-${zone}`, engine: id, service: null, zone, index });
      });
    } else {
      out.push({ name: id, engine: id, service: null, zone: null, index: 0 });
    }
  }
  for (const id of def.services.enabled ? serviceIds : []) {
    if (!def.observability.enabled && observabilityServices.includes(id)) continue;
    const info = serviceCatalog[id];
    const spec = def.services[id] as { instances?: number; perZone?: number; canary?: number };
    if (info.placement === 'cluster') {
      const n = spec.instances ?? 1;
      for (let i = 1; i <= n; i++)
        out.push({
          name: `${id}-${i}`,
          engine: 'service',
          service: id,
          zone: null,
          index: i - 1,
          canary: false,
        });
    } else {
      const perZone = spec.perZone ?? 1;
      let index = 0;
      for (const zone of def.zones) {
        for (let i = 1; i <= perZone; i++) {
          out.push({
            name: `${id}-${zone}-${i}`,
            engine: 'service',
            service: id,
            zone,
            index: index++,
            canary: false,
          });
        }
      }
      const firstZone = def.zones[0] as string;
      for (let i = 1; i <= (spec.canary ?? 0); i++) {
        out.push({
          name: `${id}-canary-${i}`,
          engine: 'service',
          service: id,
          zone: firstZone,
          index: index++,
          canary: true,
        });
      }
    }
  }
  return out;
}

function portPins(def: ClusterDefinition, inst: Instance): Record<string, number | 'auto'> {
  if (inst.service) return def.services[inst.service].ports as Record<string, number | 'auto'>;
  return def.engines[inst.engine as EngineId].ports as Record<string, number | 'auto'>;
}

function portNames(inst: Instance): readonly string[] {
  return inst.service ? ['http'] : engineCatalog[inst.engine as EngineId].portNames;
}

/** The ports the cluster needs; a pinned port of a multi-instance engine or service counts up per instance. */
export function portRequests(def: ClusterDefinition): PortRequest[] {
  return instances(def).flatMap((inst) => {
    const pins = portPins(def, inst);
    return portNames(inst).map((port) => {
      const pin = pins[port];
      return { component: inst.name, port, pinned: typeof pin === 'number' ? pin + inst.index : undefined };
    });
  });
}

/** Turn a definition plus assigned ports into the components a runtime starts. */
export function planCluster(
  def: ClusterDefinition,
  ports: PortAssignment,
  paths: ClusterPaths,
): ComponentPlan[] {
  const all = instances(def);
  const ofEngine = (e: EngineId) => all.filter((o) => o.engine === e).map((o) => o.name);
  const ofService = (id: ServiceId) => all.filter((o) => o.service === id).map((o) => o.name);
  return all.map((inst) => {
    const myPorts = ports[inst.name] ?? {};
    const dirs = {
      dataDir: join(paths.data, inst.name),
      confDir: join(paths.conf, inst.name),
      logFile: join(paths.logs, `${inst.name}.log`),
    };
    if (inst.service) {
      const info = serviceCatalog[inst.service];
      for (const dep of info.dependsOn) {
        if (ofEngine(dep).length === 0) {
          throw new FlixError(`service ${inst.service} needs ${dep}, which is disabled in the cluster file`, {
            code: 'invalidConfig',
            nextStep: `enable engines.${dep}, or run no ${inst.service} (services.${inst.service}: ${info.placement === 'zone' ? 'perZone' : 'instances'}: 0), or no flix service at all (services.enabled: false)`,
          });
        }
      }
      const { ports: _p, ...settings } = def.services[inst.service] as Record<string, unknown>;
      // every service that answers requests sends its spans to Zipkin; the log pipeline does
      // not (its own sends would be traces of nothing a user did)
      const zipkin = ports.zipkin?.http;
      if (zipkin && !observabilityServices.includes(inst.service)) {
        settings.zipkin = `http://127.0.0.1:${zipkin}`;
        settings.traceSampling = def.observability.traceSampling;
        settings.traceRoots = traceEntryServices.includes(inst.service) ? 1 : 0;
      }
      return {
        name: inst.name,
        role: 'service',
        engine: 'service',
        zone: inst.zone,
        ports: myPorts,
        dependsOn: [...info.dependsOn.flatMap(ofEngine), ...info.after.flatMap(ofService)],
        endpoint: `http://127.0.0.1:${myPorts.http}`,
        settings: {
          ...(settings as Record<string, string | number>),
          service: inst.service,
          canary: inst.canary ? 1 : 0,
        },
        ...dirs,
      };
    }
    const engine = inst.engine as EngineId;
    const info = engineCatalog[engine];
    const main = myPorts[info.mainPort];
    const { enabled: _e, ports: _p, ...settings } = def.engines[engine] as Record<string, unknown>;
    // an edge proxies the origin: it needs the origin's port in its config
    if (engine === 'edge' && ports.origin?.http) settings.originPort = ports.origin.http;
    return {
      name: inst.name,
      role: info.role,
      engine,
      zone: inst.zone,
      ports: myPorts,
      dependsOn: info.dependsOn.flatMap(ofEngine),
      endpoint: info.scheme === 'http' ? `http://127.0.0.1:${main}` : `127.0.0.1:${main}`,
      settings: settings as Record<string, unknown>,
      ...dirs,
    };
  });
}
