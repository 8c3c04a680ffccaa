import { randomUUID } from 'node:crypto';
import { ExitCode, FlixError } from '../core/errors.js';
import { elasticsearchClient } from '../engines/elasticsearch/client.js';
import { kafkaFor, topics } from '../platform/events.js';
import { runningClusterEndpoints } from '../runtime/index.js';
import { type LogRecord, parseLogRecord } from '../services/log-agent/contract.js';
import { type LogFilter, matchesFilter } from '../services/log-collector/contract.js';
import { searchLogs } from '../services/log-collector/store.js';
import type { User } from '../services/users/contract.js';
import { serviceCall } from './operator.js';

export interface LogsQuery extends Omit<LogFilter, 'userId'> {
  /** a user's name or id */
  user?: string;
  limit: number;
}

/** A user's id from a name or an id (the logs carry ids). */
async function userIdOf(cluster: string, user: string): Promise<string> {
  try {
    return (await serviceCall<User>(cluster, 'users', 'GET', `/v1/users/${encodeURIComponent(user)}`)).id;
  } catch (error) {
    if (error instanceof FlixError && error.exitCode === ExitCode.notFound)
      throw new FlixError(`no user '${user}' in cluster '${cluster}'`, {
        code: 'notFound',
        nextStep: '`flix users list` shows the users',
      });
    throw error;
  }
}

async function filterOf(cluster: string, q: LogsQuery): Promise<LogFilter> {
  const { user, limit: _l, ...rest } = q;
  return user ? { ...rest, userId: await userIdOf(cluster, user) } : rest;
}

/** `flix logs`: the newest matching records of the log index, oldest first. */
export async function searchClusterLogs(
  cluster: string,
  q: LogsQuery,
): Promise<{ records: LogRecord[]; total: number }> {
  const endpoints = await runningClusterEndpoints(cluster);
  if (!endpoints.elasticsearch)
    throw new FlixError(`cluster '${cluster}' runs no Elasticsearch: its logs are not indexed`, {
      code: 'usage',
      nextStep: 'follow the live stream instead: `flix logs -f`',
    });
  const es = elasticsearchClient(endpoints.elasticsearch, 15_000);
  try {
    return await searchLogs(es, { ...(await filterOf(cluster, q)), limit: q.limit });
  } catch (error) {
    throw new FlixError(`the log index did not answer: ${(error as Error).message}`, {
      code: 'componentFailed',
      nextStep: '`flix status` shows whether Elasticsearch is healthy; `flix logs -f` reads the live stream',
    });
  } finally {
    await es.close();
  }
}

/**
 * `flix logs -f`: every matching record from now on, as the agent sends it, until `signal`
 * aborts. A consumer group of its own (removed at the end) starting at the newest offsets.
 */
export async function followClusterLogs(
  cluster: string,
  q: LogsQuery,
  onRecord: (r: LogRecord) => void,
  onReady: () => void,
  signal: AbortSignal,
): Promise<void> {
  const endpoints = await runningClusterEndpoints(cluster);
  const filter = await filterOf(cluster, q);
  const kafka = kafkaFor(endpoints, 'flix-logs-follow');
  const groupId = `flix-logs-follow-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 3000 });
  // each component's lines come on its own partition: a second's worth is put in time order
  // before it is shown, so one request's hops read top to bottom
  let held: LogRecord[] = [];
  const release = () => {
    const out = held.sort((a, b) => a.time.localeCompare(b.time));
    held = [];
    for (const r of out) onRecord(r);
  };
  const timer = setInterval(release, 1000);
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topics.logs.name], fromBeginning: false });
    consumer.on(consumer.events.GROUP_JOIN, () => onReady());
    await consumer.run({
      eachMessage: async ({ message }) => {
        const r = parseLogRecord(message.value?.toString());
        if (r && matchesFilter(r, filter)) held.push(r);
      },
    });
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    clearInterval(timer);
    release();
    await consumer.disconnect().catch(() => {});
    const admin = kafka.admin();
    await admin
      .connect()
      .then(() => admin.deleteGroups([groupId]))
      .catch(() => {})
      .finally(() => admin.disconnect().catch(() => {}));
  }
}
