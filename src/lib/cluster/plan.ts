import { join } from 'node:path';
import { engineCatalog, engineIds } from '../engines/catalog.js';
import type { ClusterPaths } from '../paths.js';
import type { ComponentPlan, EngineId } from './components.js';
import type { ClusterDefinition } from './definition.js';
import type { PortAssignment, PortRequest } from './ports.js';

interface Instance {
  name: string;
  engine: EngineId;
  zone: string | null;
  zoneIndex: number;
}

/** One instance per enabled engine, or one per zone for per-zone engines, in catalog order. */
export function instances(def: ClusterDefinition): Instance[] {
  const out: Instance[] = [];
  for (const id of engineIds) {
    if (!def.engines[id].enabled) continue;
    if (engineCatalog[id].perZone) {
      def.zones.forEach((zone, zoneIndex) => {
        out.push({ name: `${id}-${zone}`, engine: id, zone, zoneIndex });
      });
    } else {
      out.push({ name: id, engine: id, zone: null, zoneIndex: 0 });
    }
  }
  return out;
}

/** The ports the cluster needs; pinned per-zone ports count up from zone a's. */
export function portRequests(def: ClusterDefinition): PortRequest[] {
  return instances(def).flatMap((inst) => {
    const pins = def.engines[inst.engine].ports as Record<string, number | 'auto'>;
    return engineCatalog[inst.engine].portNames.map((port) => {
      const pin = pins[port];
      return {
        component: inst.name,
        port,
        pinned: typeof pin === 'number' ? pin + inst.zoneIndex : undefined,
      };
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
  return all.map((inst) => {
    const info = engineCatalog[inst.engine];
    const myPorts = ports[inst.name] ?? {};
    const main = myPorts[info.mainPort];
    const endpoint = info.scheme === 'http' ? `http://127.0.0.1:${main}` : `127.0.0.1:${main}`;
    const dependsOn = info.dependsOn.flatMap((dep) => all.filter((o) => o.engine === dep).map((o) => o.name));
    const { enabled: _e, ports: _p, ...settings } = def.engines[inst.engine] as Record<string, unknown>;
    // an edge proxies the origin: it needs the origin's port in its config
    if (inst.engine === 'edge' && ports.origin?.http) settings.originPort = ports.origin.http;
    return {
      name: inst.name,
      role: info.role,
      engine: inst.engine,
      zone: inst.zone,
      ports: myPorts,
      dependsOn,
      endpoint,
      settings: settings as Record<string, string | number>,
      dataDir: join(paths.data, inst.name),
      confDir: join(paths.conf, inst.name),
      logFile: join(paths.logs, `${inst.name}.log`),
    };
  });
}
