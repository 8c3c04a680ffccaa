import type { EngineId } from '../cluster/components.js';

/**
 * The flix services a cluster runs beside its engines. Each is the same build (`flix serve
 * <service>`), started by the runtime with the cluster's plan; `placement` says whether the
 * cluster file sets a number of instances for the whole cluster or per zone.
 */
export type ServiceId = 'orchestrator' | 'transcoder';

export interface ServiceInfo {
  id: ServiceId;
  title: string;
  placement: 'cluster' | 'zone';
  /** engines that must be healthy first */
  dependsOn: readonly EngineId[];
}

export const serviceCatalog: Record<ServiceId, ServiceInfo> = {
  orchestrator: {
    id: 'orchestrator',
    title: 'ingest orchestrator (title DAG: probe, ladder, chunks, assemble, package, validate, publish)',
    placement: 'cluster',
    dependsOn: ['kafka', 'mysql', 'origin'],
  },
  transcoder: {
    id: 'transcoder',
    title: 'transcoder worker (encodes chunk x rendition tasks from Kafka)',
    placement: 'zone',
    dependsOn: ['kafka', 'origin'],
  },
};

export const serviceIds = Object.keys(serviceCatalog) as ServiceId[];
