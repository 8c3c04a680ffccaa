import { setTimeout as sleep } from 'node:timers/promises';
import { elasticsearchClient } from '../../engines/elasticsearch/client.js';
import { mysqlPool } from '../../engines/mysql/client.js';
import { groupConsumer, topics } from '../../platform/events.js';
import type { ServiceContext, ServiceHandle } from '../../platform/host.js';
import { REGION_HEADER, Router, validate } from '../../platform/http/router.js';
import { isolation } from '../../platform/resilience/index.js';
import { type SearchAnswer, type Searcher, searchQuery } from './contract.js';
import {
  ensureTitlesIndex,
  indexAllTitles,
  refreshPopularity,
  searchCatalog,
  searchIndex,
  syncTitle,
} from './store.js';

/**
 * The search service: titles in an Elasticsearch index, kept in step with the catalog by a
 * consumer of the title events (every instance is a member of one group, so each event is
 * applied once, and a stopped group catches up from its committed offsets). When Elasticsearch
 * fails or its breaker is open, the same query runs as a MySQL `LIKE` over the catalog, marked
 * degraded.
 *
 *   GET /v1/search?q=&genre=&year=&limit=   → SearchAnswer (region from the gateway's header)
 */
export async function startSearchService(ctx: ServiceContext): Promise<ServiceHandle> {
  const endpoint = ctx.endpoints.elasticsearch;
  if (!endpoint) throw new Error('the search service needs Elasticsearch');
  const db = mysqlPool(ctx.endpoints, ctx.secrets);
  const es = elasticsearchClient(endpoint, 5000);
  const elasticsearch = isolation('elasticsearch', {
    timeoutMs: 800,
    maxConcurrent: 64,
    breaker: { minimumRequests: 5, halfOpenAfterMs: 5000, windowMs: 10_000 },
  });
  const counts = { searches: 0, degraded: 0, indexed: 0, removed: 0, syncFailures: 0 };

  // the index is made (with its mapping) by whichever instance gets there first; nothing is
  // indexed before it exists, or Elasticsearch would make one with guessed field types
  let indexMade: Promise<void> | null = null;
  const indexReady = () => {
    indexMade ??= (async () => {
      if (!(await ensureTitlesIndex(es))) return;
      const n = await indexAllTitles(es, db);
      ctx.log.info('titles index made', { indexed: n });
    })().catch((e) => {
      indexMade = null;
      throw e;
    });
    return indexMade;
  };
  void indexReady().catch(() => {});
  const consumer = await groupConsumer(ctx.endpoints, ctx.component.name, 'flix-search-indexer', [
    topics.titlePublished.name,
    topics.titleDeleted.name,
  ]);
  ctx.metrics.watchConsumer(consumer, 'flix-search-indexer');
  await consumer.run({
    eachMessage: async ({ message, heartbeat }) => {
      const id = message.key?.toString();
      if (!id) return;
      // an event is applied before its offset is committed: while Elasticsearch or MySQL is down
      // the partition waits here (heartbeating), and nothing is skipped
      for (let attempt = 0; !ctx.signal.aborted; attempt++) {
        try {
          await indexReady();
          const done = await syncTitle(es, db, id);
          counts[done]++;
          return;
        } catch (error) {
          counts.syncFailures++;
          if (attempt === 0)
            ctx.log.warn('title sync failed, retrying', { titleId: id, error: String(error) });
          await sleep(1000, undefined, { signal: ctx.signal }).catch(() => {});
          await heartbeat().catch(() => {});
        }
      }
    },
  });

  const popularityMs = Number(ctx.component.settings.popularitySeconds ?? 60) * 1000;
  const popularity = setInterval(() => {
    refreshPopularity(es, db).catch(() => {});
  }, popularityMs);
  popularity.unref();

  const router = new Router().get('/v1/search', async (req): Promise<SearchAnswer> => {
    const q = validate(searchQuery, Object.fromEntries(req.query), 'query');
    const who: Searcher = {
      userId: req.userId,
      region: (req.headers[REGION_HEADER] as string | undefined) ?? null,
    };
    counts.searches++;
    const outcome = await elasticsearch.executeWithOutcome(
      (signal) => searchIndex(es, q, who, signal),
      undefined,
      () => searchCatalog(db, q, who),
    );
    if (!outcome.degraded) return { query: q.q, hits: outcome.value, degraded: false };
    counts.degraded++;
    return { query: q.q, hits: outcome.value, degraded: true, reason: `elasticsearch: ${outcome.reason}` };
  });

  return {
    router,
    async stop() {
      clearInterval(popularity);
      await consumer.disconnect().catch(() => {});
      await es.close();
      await db.end();
    },
    status: () => ({ ...counts, breakers: [elasticsearch.snapshot()] }),
  };
}
