import { join } from 'node:path';
import { logsBucket } from '../../engines/credentials.js';
import { elasticsearchClient } from '../../engines/elasticsearch/client.js';
import { originClient } from '../../engines/origin/client.js';
import { groupConsumer, topics } from '../../platform/events.js';
import type { ServiceContext, ServiceHandle } from '../../platform/host.js';
import { type LogRecord, parseLogRecord } from '../log-agent/contract.js';
import { HourlyArchive } from './archive.js';
import { dropOldLogIndices, ensureLogTemplate, indexLogs } from './store.js';

/**
 * The log collector (Chukwa's collector): consumes the `logs` topic and (a) indexes every record
 * into the day's Elasticsearch index, where `flix logs` searches, (b) appends it to the hour's
 * gzip archive, uploaded to the origin every `archiveSeconds`. A batch's offsets are committed
 * only after both, so a crash sends it through again: the index stores a record once (by its id),
 * the archive may hold a batch twice. Once a day the indices older than `retentionDays` are
 * dropped; the archive keeps everything.
 */
export async function startLogCollector(ctx: ServiceContext): Promise<ServiceHandle> {
  const endpoint = ctx.endpoints.elasticsearch;
  if (!endpoint) throw new Error('the log collector needs Elasticsearch');
  if (!ctx.endpoints.origin) throw new Error('the log collector needs the origin');
  const archiveMs = Number(ctx.component.settings.archiveSeconds ?? 60) * 1000;
  const retentionDays = Number(ctx.component.settings.retentionDays ?? 7);
  const es = elasticsearchClient(endpoint, 30_000);
  await ensureLogTemplate(es);
  const s3 = originClient(ctx.endpoints.origin, ctx.secrets);
  const archive = new HourlyArchive(join(ctx.component.dataDir, 'archive'), s3, logsBucket);
  await archive.recover();
  const counts = { records: 0, refused: 0, batches: 0, uploads: 0, droppedIndices: 0, lastLagMs: 0 };

  const consumer = await groupConsumer(ctx.endpoints, ctx.component.name, 'flix-log-collector', [
    topics.logs.name,
  ]);

  ctx.metrics.watchConsumer(consumer, 'flix-log-collector');
  await consumer.run({
    // a failure throws: kafkajs gives the batch again from the last resolved offset
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      const records: LogRecord[] = [];
      for (const m of batch.messages) {
        const r = parseLogRecord(m.value?.toString());
        if (r) records.push(r);
        else counts.refused++;
      }
      await indexLogs(es, records);
      await archive.append(records);
      const last = batch.messages.at(-1);
      if (last) resolveOffset(last.offset);
      await heartbeat();
      counts.records += records.length;
      counts.batches++;
      const newest = records.at(-1);
      if (newest) counts.lastLagMs = Date.now() - Date.parse(newest.time);
    },
  });

  let uploading: Promise<void> = Promise.resolve();
  const upload = () => {
    uploading = uploading.then(async () => {
      try {
        counts.uploads += (await archive.flush()).length;
      } catch (error) {
        ctx.log.warn('log archive upload failed; it is tried again', { error: String(error) });
      }
    });
    return uploading;
  };
  const retention = async () => {
    try {
      const dropped = await dropOldLogIndices(es, retentionDays);
      counts.droppedIndices += dropped.length;
      if (dropped.length > 0) ctx.log.info('log indices dropped', { indices: dropped, retentionDays });
    } catch (error) {
      ctx.log.warn('log retention failed; it runs again', { error: String(error) });
    }
  };
  void retention();
  const timers = [
    setInterval(() => void upload(), archiveMs),
    setInterval(() => void retention(), 86_400_000),
  ];
  for (const t of timers) t.unref();

  return {
    async stop() {
      for (const t of timers) clearInterval(t);
      await consumer.disconnect().catch(() => {});
      await upload();
      s3.destroy();
      await es.close();
    },
    status: () => counts,
  };
}
