import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { FlixError } from '../core/errors.js';
import { builtinClustersDir } from '../core/paths.js';
import { isRegion } from '../core/regions.js';
import { parseSize } from '../core/sizes.js';

/**
 * A cluster definition (cluster/*.yaml): zones, restart policy, timeouts and, per engine, whether
 * it runs, its heap and its ports. A port is `auto` (assigned at `flix up`, kept for the next up
 * while it stays free) or pinned to a number. For a per-zone engine (memcached, edge) a pinned
 * port is the first zone's; the next zones take the following ports.
 */

const port = z.union([z.literal('auto'), z.number().int().min(1024).max(65535)]);
const heap = z.string().regex(/^[1-9][0-9]*[mg]$/, 'must be a size like 256m or 1g');

const auto = () => port.default('auto');

/** A service that runs `perZone` instances in every zone, plus `canary` ones in the first zone. */
function zoneService<T extends z.ZodRawShape>(extra: T) {
  return z
    .strictObject({
      perZone: z.number().int().min(0).max(16).default(1),
      canary: z.number().int().min(0).max(4).default(0),
      ports: z.strictObject({ http: auto() }).prefault({}),
      ...extra,
    })
    .prefault({} as never);
}

/** A token bucket: `rps` requests per second on average, bursts of up to `burst`. */
function rate(rps: number, burst: number) {
  return z
    .strictObject({
      rps: z.number().min(0.1).max(1_000_000).default(rps),
      burst: z.number().int().min(1).max(1_000_000).default(burst),
    })
    .prefault({});
}

const schema = z.strictObject({
  description: z.string().optional(),
  zones: z
    .array(z.string().regex(/^[a-z][a-z0-9]{0,7}$/, 'a zone is a short lowercase name like a, b or eu1'))
    .min(1, 'a cluster needs at least one zone')
    .max(9)
    .refine((zs) => new Set(zs).size === zs.length, 'zone names must be unique'),
  restart: z
    .strictObject({
      policy: z.enum(['always', 'on-failure', 'never']).default('on-failure'),
      // a budget per window: at most maxRestarts restarts of a component in any windowSeconds
      maxRestarts: z.number().int().min(0).max(100).default(5),
      windowSeconds: z.number().int().min(1).max(86_400).default(600),
      backoffMs: z.number().int().min(0).max(60_000).default(1000),
    })
    .prefault({}),
  timeouts: z
    .strictObject({
      startSeconds: z.number().int().min(5).max(1800).default(240),
      stopSeconds: z.number().int().min(1).max(600).default(20),
    })
    .prefault({}),
  // the cluster's own logs and traces (and, later, its metrics); false runs none of their parts
  observability: z
    .strictObject({
      enabled: z.boolean().default(true),
      // the share of requests traced from the ELB down (a caller's sampled decision is kept)
      traceSampling: z.number().min(0).max(1).default(1),
    })
    .prefault({}),
  services: z
    .strictObject({
      // false: an engines-only cluster (no flix service at all, whatever the settings below say)
      enabled: z.boolean().default(true),
      orchestrator: z
        .strictObject({
          instances: z.number().int().min(0).max(8).default(1),
          // chunk: one task per chunk making every rendition from one decode (the CPU of one pass);
          // rendition: one task per chunk x rendition (each decodes its chunk again: ~1.6x the CPU)
          taskShape: z.enum(['rendition', 'chunk']).default('chunk'),
          // segments (of ~4 s) per chunk; 0 = 2, more for long titles (at most 100 chunks)
          chunkSegments: z.number().int().min(0).max(150).default(0),
          // jobs advanced side by side (each under its own lease)
          parallelJobs: z.number().int().min(1).max(16).default(3),
          // how long a stage rides out an engine that is down before the title fails
          outageSeconds: z.number().int().min(1).max(3600).default(120),
          ports: z.strictObject({ http: auto() }).prefault({}),
        })
        .prefault({}),
      transcoder: z
        .strictObject({
          perZone: z.number().int().min(0).max(16).default(1),
          threads: z.number().int().min(0).max(64).default(0),
          preset: z
            .enum(['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium'])
            .default('veryfast'),
          // how long a task rides out an engine that is down before the worker reports it failed
          outageSeconds: z.number().int().min(1).max(3600).default(120),
          ports: z.strictObject({ http: auto() }).prefault({}),
        })
        .prefault({}),
      // pushes titles to the edges ahead of viewers (on publish, and re-placed in a nightly window)
      distribution: z
        .strictObject({
          instances: z.number().int().min(0).max(1).default(1),
          // place a title on the edges as soon as it is published
          fillOnPublish: z.boolean().default(true),
          // the fill's pace, all edges together (live traffic is never paced)
          fillMbps: z.number().min(1).max(100_000).default(200),
          // the fill waits (up to 2 s an object) while less than this share of the CPU is free
          fillMinIdle: z.number().min(0).max(1).default(0.2),
          // bytes per edge for titles placed ahead of viewers (at most the edge's cacheMaxSize)
          edgeBudget: heap.default('800m'),
          // titles published this recently are placed before any other
          newTitleHours: z
            .number()
            .min(0)
            .max(24 * 90)
            .default(24),
          // the nightly re-placement: local time HH:MM, open for `hours` (0: none; publishes and
          // `flix distribute --now` still place)
          window: z
            .strictObject({
              start: z
                .string()
                .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time like 02:00')
                .default('02:00'),
              hours: z.number().min(0).max(24).default(4),
            })
            .prefault({}),
          // the regions each zone's edges serve (a title is placed where it is licensed); a zone
          // not listed serves every region
          zoneRegions: z
            .record(
              z.string(),
              z.array(
                z.string().refine((r) => r === '*' || isRegion(r), 'must be an ISO 3166-1 alpha-2 code'),
              ),
            )
            .default({}),
          ports: z.strictObject({ http: auto() }).prefault({}),
        })
        .prefault({}),
      // the control plane: a registry per zone; services register with every one of them
      discovery: zoneService({
        // a registration lapses after this long without a heartbeat
        // (clients heartbeat and refresh every 2 s)
        leaseSeconds: z.number().min(3).max(300).default(6),
      }),
      users: zoneService({}),
      catalog: zoneService({
        // EVCache time to live of a title read through the cache
        cacheTtlSeconds: z.number().int().min(1).max(86_400).default(60),
      }),
      playback: zoneService({
        // how long a signed edge URL handed to a player stays valid
        urlTtlSeconds: z
          .number()
          .int()
          .min(10)
          .max(7 * 86_400)
          .default(6 * 3600),
        // how long a play holds one of its plan's stream slots after its last heartbeat
        // (heartbeats come every 10 s of media); a play that ends frees its slot at once
        streamLeaseSeconds: z.number().int().min(3).max(3600).default(30),
      }),
      steering: zoneService({}),
      recommendations: zoneService({}),
      search: zoneService({
        // how often the popularity of indexed titles is refreshed from the play counts
        popularitySeconds: z.number().int().min(5).max(86_400).default(60),
      }),
      stats: zoneService({
        // EVCache time to live of a title's counts (a vote writes the new counts at once)
        cacheTtlSeconds: z.number().int().min(1).max(3600).default(30),
      }),
      history: zoneService({
        // how often old live history is moved into the compressed rows (one instance at a time)
        compactSeconds: z
          .number()
          .int()
          .min(10)
          .max(7 * 86_400)
          .default(3600),
        // live history older than this is moved
        compactAfterSeconds: z
          .number()
          .int()
          .min(60)
          .max(3650 * 86_400)
          .default(30 * 86_400),
      }),
      uploads: zoneService({
        // largest single upload of a viewer (the origin copies it in one request: at most 5g)
        maxBytes: heap.refine((v) => parseSize(v) <= 5 * 1024 ** 3, 'at most 5g').default('2g'),
        // uploads one viewer may start in any 24 hours (refused ones do not count)
        perDay: z.number().int().min(1).max(100_000).default(20),
        // bytes one viewer may upload in any 24 hours
        bytesPerDay: heap.default('10g'),
      }),
      comments: zoneService({
        // longest comment, in characters
        maxChars: z.number().int().min(1).max(10_000).default(2000),
        // comments one user may add per minute, over every title
        perUserPerMinute: z.number().int().min(1).max(1000).default(5),
      }),
      gateway: zoneService({
        // share of requests (0-100) sent to a service's canary instances when it has any
        canaryPercent: z.number().min(0).max(100).default(0),
        // largest request body accepted; a bigger one is refused with 400
        maxBodyBytes: z
          .number()
          .int()
          .min(256)
          .max(10 * 1024 * 1024)
          .default(16 * 1024),
        rateLimit: z
          .strictObject({
            perUser: rate(50, 100),
            perIp: rate(500, 1000),
          })
          .prefault({}),
      }),
      // the public entry point: one load balancer in front of the gateways of every zone
      elb: z
        .strictObject({
          instances: z.number().int().min(0).max(1).default(1),
          healthCheckMs: z.number().int().min(100).max(60_000).default(1000),
          ports: z.strictObject({ http: auto() }).prefault({}),
        })
        .prefault({}),
      // follows every component's log onto Kafka (one for the cluster)
      'log-agent': z
        .strictObject({
          instances: z.number().int().min(0).max(1).default(1),
          // a change the filesystem reports is read batchMs later; pollMs is the fallback read
          // when it reports nothing
          pollMs: z.number().int().min(50).max(600_000).default(10_000),
          batchMs: z.number().int().min(0).max(10_000).default(200),
          ports: z.strictObject({ http: auto() }).prefault({}),
        })
        .prefault({}),
      // the logs topic into Elasticsearch and the origin's hourly archive
      'log-collector': z
        .strictObject({
          instances: z.number().int().min(0).max(1).default(1),
          // how often the hour's archive objects are uploaded while records come in
          archiveSeconds: z.number().int().min(1).max(3600).default(60),
          // days of logs Elasticsearch keeps (the archive keeps everything)
          retentionDays: z.number().int().min(1).max(3650).default(7),
          ports: z.strictObject({ http: auto() }).prefault({}),
        })
        .prefault({}),
    })
    .prefault({}),
  engines: z
    .strictObject({
      kafka: z
        .strictObject({
          enabled: z.boolean().default(true),
          heap: heap.default('512m'),
          ports: z.strictObject({ broker: auto(), controller: auto() }).prefault({}),
        })
        .prefault({}),
      cassandra: z
        .strictObject({
          enabled: z.boolean().default(true),
          heap: heap.default('1g'),
          ports: z.strictObject({ native: auto(), storage: auto(), jmx: auto() }).prefault({}),
        })
        .prefault({}),
      elasticsearch: z
        .strictObject({
          enabled: z.boolean().default(true),
          heap: heap.default('512m'),
          ports: z.strictObject({ http: auto(), transport: auto() }).prefault({}),
        })
        .prefault({}),
      mysql: z
        .strictObject({
          enabled: z.boolean().default(true),
          bufferPool: heap.default('64m'),
          ports: z.strictObject({ mysql: auto() }).prefault({}),
        })
        .prefault({}),
      memcached: z
        .strictObject({
          enabled: z.boolean().default(true),
          memoryMb: z.number().int().min(8).max(65536).default(64),
          ports: z.strictObject({ memcached: auto() }).prefault({}),
        })
        .prefault({}),
      origin: z
        .strictObject({
          enabled: z.boolean().default(true),
          heap: heap.default('256m'),
          ports: z.strictObject({ http: auto() }).prefault({}),
        })
        .prefault({}),
      edge: z
        .strictObject({
          enabled: z.boolean().default(true),
          cacheMaxSize: heap.default('1g'),
          ports: z.strictObject({ http: auto() }).prefault({}),
        })
        .prefault({}),
      // the tracing backend (part of observability: off with it)
      zipkin: z
        .strictObject({
          enabled: z.boolean().default(true),
          heap: heap.default('256m'),
          // the newest spans it keeps (in its memory: a play is about 40)
          maxSpans: z.number().int().min(1000).max(5_000_000).default(100_000),
          ports: z.strictObject({ http: auto() }).prefault({}),
        })
        .prefault({}),
      // the metrics store that scrapes every component (part of observability: off with it)
      prometheus: z
        .strictObject({
          enabled: z.boolean().default(true),
          scrapeSeconds: z.number().int().min(1).max(300).default(10),
          // how long samples are kept (Prometheus's own duration syntax)
          retention: z
            .string()
            .regex(/^\d+[mhdw]$/, 'a duration such as 6h or 2d')
            .default('1d'),
          ports: z.strictObject({ http: auto() }).prefault({}),
        })
        .prefault({}),
    })
    .prefault({}),
});

export type ClusterDefinition = z.infer<typeof schema>;

export interface LoadedDefinition {
  file: string;
  definition: ClusterDefinition;
}

/** Resolve `--cluster`: a path, or the name of a built-in definition (`default`, `ci`). */
export function resolveClusterFile(flag: string | undefined): string {
  if (!flag) return join(builtinClustersDir, 'default.yaml');
  if (/^[a-z0-9-]+$/.test(flag)) return join(builtinClustersDir, `${flag}.yaml`);
  return flag;
}

export async function loadClusterDefinition(file: string): Promise<LoadedDefinition> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new FlixError(`Cannot read cluster file ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`, {
      code: 'invalidConfig',
      nextStep: `check the path, or use a built-in definition: --cluster default | --cluster ci`,
    });
  }
  return { file, definition: parseClusterDefinition(text, file) };
}

/** Parse and validate; every problem is reported as `file: field: message`. */
export function parseClusterDefinition(text: string, file: string): ClusterDefinition {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    const where = first?.linePos?.[0] ? `line ${first.linePos[0].line}, column ${first.linePos[0].col}` : '';
    throw new FlixError(`${file}: not valid YAML (${where}): ${first?.code ?? 'error'}`, {
      code: 'invalidConfig',
      details: first?.message,
      nextStep: `fix the YAML syntax in ${file}`,
    });
  }
  const raw = doc.toJS() ?? {};
  const result = schema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const field = issue.path.length ? issue.path.join('.') : '(top level)';
      const keys = issue.code === 'unrecognized_keys' ? `: ${issue.keys.join(', ')}` : '';
      return `  ${file}: ${field}: ${issue.message}${keys}`;
    });
    throw new FlixError(`${file} is not a valid cluster definition`, {
      code: 'invalidConfig',
      details: lines.join('\n'),
      nextStep: `correct the fields above; cluster/default.yaml documents every field`,
    });
  }
  return result.data;
}
