import { AssignerProtocol, type Consumer, type Kafka, type Producer } from 'kafkajs';
import type { ClusterEndpoints } from '../cluster/endpoints.js';
import { kafkaFor } from '../engines/kafka/client.js';

export { kafkaFor };

/**
 * Kafka topics of the data plane. Title events are keyed by title id; transcode tasks spread over
 * enough partitions that every worker of a cluster gets some (the orchestrator picks the
 * partition so that costly and cheap encodes are spread evenly).
 */
export const topics = {
  titleUploaded: { name: 'title.uploaded', partitions: 3 },
  titlePublished: { name: 'title.published', partitions: 3 },
  titleDeleted: { name: 'title.deleted', partitions: 3 },
  transcodeTasks: { name: 'transcode.tasks', partitions: 12 },
  transcodeResults: { name: 'transcode.results', partitions: 3 },
  // keyed by user: one user's heartbeats stay in order on one partition
  viewingHeartbeats: { name: 'viewing.heartbeats', partitions: 6 },
  // every component's log lines, keyed by component: one component's lines stay in order
  logs: { name: 'logs', partitions: 3 },
} as const;

export async function ensureTopics(kafka: Kafka): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = Object.values(topics).filter((t) => !existing.has(t.name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: 1 })),
      });
    }
  } catch (e) {
    // another process created them first
    if (!String((e as Error).message).includes('already exists')) throw e;
  } finally {
    await admin.disconnect();
  }
}

export async function publishEvent(
  producer: Producer,
  topic: string,
  key: string,
  event: Record<string, unknown>,
  partition?: number,
): Promise<void> {
  await producer.send({
    topic,
    acks: -1,
    messages: [{ key, value: JSON.stringify({ ...event, at: new Date().toISOString() }), partition }],
  });
}

/**
 * A service's Kafka side: topics ensured, a producer and a consumer of `groupId` connected. A short
 * session lets the group notice a dead member within seconds, so its work moves on quickly.
 */
export async function connectServiceClients(
  endpoints: ClusterEndpoints,
  clientId: string,
  groupId: string,
  consumer: { maxBytesPerPartition?: number; heartbeatInterval?: number } = {},
): Promise<{ kafka: Kafka; producer: Producer; consumer: Consumer }> {
  const kafka = kafkaFor(endpoints, clientId);
  await ensureTopics(kafka);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const c = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000, ...consumer });
  await c.connect();
  return { kafka, producer, consumer: c };
}

/**
 * Each member's partitions of `topic` in consumer group `groupId`, as the group last assigned
 * them: who will take a message sent to a partition. [] while the group is rebalancing or gone.
 */
export async function groupPartitionOwners(
  kafka: Kafka,
  groupId: string,
  topic: string,
): Promise<number[][]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    const group = groups[0];
    if (group?.state !== 'Stable') return [];
    return group.members
      .map((m) => AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment[topic] ?? [])
      .filter((p) => p.length > 0)
      .map((p) => [...p].sort((a, b) => a - b));
  } finally {
    await admin.disconnect();
  }
}

/**
 * A consumer of `groupId` on `subscribe` (from the beginning for a new group), topics ensured:
 * what a service that only reads events needs. Every instance joins the one group, so each event
 * is handled once and a restarted group resumes at its committed offsets.
 */
export async function groupConsumer(
  endpoints: ClusterEndpoints,
  clientId: string,
  groupId: string,
  subscribe: string[],
): Promise<Consumer> {
  const kafka = kafkaFor(endpoints, clientId);
  await ensureTopics(kafka);
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 3000 });
  await consumer.connect();
  await consumer.subscribe({ topics: subscribe, fromBeginning: true });
  return consumer;
}

/**
 * A producer made on first use (topics ensured, connected) and made again after a failed
 * connect, for services that publish now and then; `disconnect` ends it if it was ever made.
 */
export function lazyProducer(endpoints: ClusterEndpoints, clientId: string) {
  let producer: Promise<Producer> | null = null;
  return {
    get(): Promise<Producer> {
      producer ??= (async () => {
        const kafka = kafkaFor(endpoints, clientId);
        await ensureTopics(kafka);
        const p = kafka.producer({ allowAutoTopicCreation: false });
        await p.connect();
        return p;
      })();
      producer.catch(() => (producer = null));
      return producer;
    },
    async disconnect(): Promise<void> {
      if (producer) await (await producer.catch(() => null))?.disconnect();
    },
  };
}
