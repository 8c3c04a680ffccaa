import type { Kafka } from 'kafkajs';

/** The first message a fresh consumer group reads from the start of a topic, as key=value or value. */
export async function firstMessage(
  kafka: Kafka,
  topic: string,
  groupId: string,
  timeoutMs = 30_000,
): Promise<string> {
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no message on ${topic} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      void consumer.run({
        eachMessage: async ({ message }) => {
          clearTimeout(timer);
          resolve(message.key ? `${message.key}=${message.value}` : String(message.value));
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
}
