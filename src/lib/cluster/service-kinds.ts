import type { EngineId } from './components.js';

/**
 * The flix services a cluster runs beside its engines. Each is the same build (`flix serve
 * <service>`), started by the runtime with the cluster's plan; `placement` says whether the
 * cluster file sets a number of instances for the whole cluster (`instances`) or per zone
 * (`perZone`, plus `canary` instances in the first zone).
 */
export type ServiceId =
  | 'orchestrator'
  | 'transcoder'
  | 'distribution'
  | 'discovery'
  | 'users'
  | 'catalog'
  | 'playback'
  | 'steering'
  | 'recommendations'
  | 'search'
  | 'stats'
  | 'comments'
  | 'history'
  | 'uploads'
  | 'gateway'
  | 'elb'
  | 'log-agent'
  | 'log-collector';

export interface ServiceInfo {
  id: ServiceId;
  title: string;
  placement: 'cluster' | 'zone';
  /** engines that must be healthy first */
  dependsOn: readonly EngineId[];
  /** services whose instances must be healthy first */
  after: readonly ServiceId[];
  /** registers with discovery so the gateway and other services can find it */
  discoverable: boolean;
  /** answers strangers (the public entry point); every other service answers only the cluster */
  public: boolean;
}

const info = (
  id: ServiceId,
  title: string,
  placement: 'cluster' | 'zone',
  dependsOn: readonly EngineId[],
  after: readonly ServiceId[] = [],
  discoverable = false,
  isPublic = false,
): ServiceInfo => ({ id, title, placement, dependsOn, after, discoverable, public: isPublic });

export const serviceCatalog: Record<ServiceId, ServiceInfo> = {
  orchestrator: info(
    'orchestrator',
    'ingest orchestrator (title DAG: probe, ladder, chunks, assemble, package, validate, publish)',
    'cluster',
    ['kafka', 'mysql', 'origin'],
  ),
  transcoder: info(
    'transcoder',
    'transcoder worker (encodes chunk tasks from Kafka, every rendition of a chunk from one decode)',
    'zone',
    ['kafka', 'origin'],
  ),
  distribution: info(
    'distribution',
    'pushes titles to the edges: on publish and in a nightly window, by plays per zone (Open Connect fill)',
    'cluster',
    ['kafka', 'mysql', 'origin', 'edge'],
  ),
  discovery: info('discovery', 'service registry with leases and heartbeats (Eureka-style)', 'zone', []),
  users: info(
    'users',
    'users and billing: plans, subscriptions, API tokens (MySQL)',
    'zone',
    ['mysql'],
    ['discovery'],
    true,
  ),
  catalog: info(
    'catalog',
    'title metadata and regional licences (MySQL, read through EVCache); deletes titles',
    'zone',
    ['mysql', 'memcached', 'origin', 'kafka'],
    ['discovery'],
    true,
  ),
  playback: info(
    'playback',
    'play requests: subscription, licence, bookmark, steering, signed edge URLs',
    'zone',
    ['cassandra', 'memcached', 'kafka'],
    ['discovery'],
    true,
  ),
  steering: info(
    'steering',
    'ranks edges for a client: same zone, healthy, least loaded, holding the title',
    'zone',
    ['edge'],
    ['discovery'],
    true,
  ),
  recommendations: info(
    'recommendations',
    'personalised rows: trained picks and "because you watched" (Cassandra), catalog rows; falls back to a static top 10',
    'zone',
    ['cassandra', 'kafka'],
    ['discovery'],
    true,
  ),
  search: info(
    'search',
    'title search: Elasticsearch index fed from title events, MySQL fallback when it is down',
    'zone',
    ['elasticsearch', 'kafka', 'mysql'],
    ['discovery'],
    true,
  ),
  stats: info(
    'stats',
    'views, likes and dislikes: Cassandra counters and per-user votes, read through EVCache',
    'zone',
    ['cassandra', 'memcached'],
    ['discovery'],
    true,
  ),
  comments: info(
    'comments',
    'comments per title: Cassandra, partitioned by title and day, newest first',
    'zone',
    ['cassandra'],
    ['discovery'],
    true,
  ),
  history: info(
    'history',
    'viewing history: heartbeats from Kafka into Cassandra (last write wins), live and compressed',
    'zone',
    ['cassandra', 'kafka', 'memcached'],
    ['discovery'],
    true,
  ),
  uploads: info(
    'uploads',
    "viewers' resumable uploads (tus), parts stored in the origin; validated, then ingested as the uploader's title",
    'zone',
    ['mysql', 'origin', 'kafka'],
    ['discovery'],
    true,
  ),
  gateway: info(
    'gateway',
    'API gateway: Zuul-style inbound, endpoint and outbound filters',
    'zone',
    [],
    ['discovery'],
    true,
  ),
  elb: info(
    'elb',
    'load balancer: round robin across zones, then across healthy gateways',
    'cluster',
    [],
    ['gateway'],
    false,
    true,
  ),
  'log-agent': info(
    'log-agent',
    "log agent (Chukwa's): follows every component's log, checkpointed, onto Kafka's logs topic",
    'cluster',
    ['kafka'],
  ),
  'log-collector': info(
    'log-collector',
    'log collector: the logs topic into daily Elasticsearch indices and an hourly gzip archive on the origin',
    'cluster',
    ['kafka', 'elasticsearch', 'origin'],
  ),
};

export const serviceIds = Object.keys(serviceCatalog) as ServiceId[];

/** The services `observability.enabled: false` leaves out. */
export const observabilityServices: readonly ServiceId[] = ['log-agent', 'log-collector'];

/**
 * Where a viewer's request enters the cluster: only these start traces. Elsewhere a request is
 * traced when its caller's was, so the services' calls among themselves in the background (lease
 * renewals, warm-ups) do not fill the trace store with traces of nothing a viewer did.
 */
export const traceEntryServices: readonly ServiceId[] = ['elb', 'gateway'];
