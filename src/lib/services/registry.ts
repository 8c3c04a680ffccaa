import type { ServiceId } from '../cluster/service-kinds.js';
import { runService, type ServiceMain } from '../platform/host.js';

/**
 * Every flix service, by id: the only file that knows them all. Each is loaded on demand, so
 * `flix serve users` does not load the ingest pipeline.
 */
const mains: Record<ServiceId, () => Promise<ServiceMain>> = {
  orchestrator: async () => (await import('./orchestrator/service.js')).startOrchestrator,
  transcoder: async () => (await import('./transcoder/service.js')).startTranscoder,
  distribution: async () => (await import('./distribution/service.js')).startDistributionService,
  discovery: async () => (await import('./discovery/service.js')).startDiscovery,
  users: async () => (await import('./users/service.js')).startUsersService,
  catalog: async () => (await import('./catalog/service.js')).startCatalogService,
  playback: async () => (await import('./playback/service.js')).startPlaybackService,
  steering: async () => (await import('./steering/service.js')).startSteeringService,
  recommendations: async () => (await import('./recommendations/service.js')).startRecommendationsService,
  search: async () => (await import('./search/service.js')).startSearchService,
  stats: async () => (await import('./stats/service.js')).startStatsService,
  comments: async () => (await import('./comments/service.js')).startCommentsService,
  history: async () => (await import('./history/service.js')).startHistoryService,
  uploads: async () => (await import('./uploads/service.js')).startUploadsService,
  gateway: async () => (await import('./gateway/service.js')).startGateway,
  elb: async () => (await import('./elb/service.js')).startElb,
  'log-agent': async () => (await import('./log-agent/service.js')).startLogAgent,
  'log-collector': async () => (await import('./log-collector/service.js')).startLogCollector,
};

/** `flix serve <service>`: one instance of a service of a running cluster. */
export function serveService(service: ServiceId, clusterName: string, componentName: string): Promise<void> {
  return runService(service, mains[service], clusterName, componentName);
}
