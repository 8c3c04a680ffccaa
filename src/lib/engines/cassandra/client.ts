import cassandra from 'cassandra-driver';

/** The keyspace flix's services keep their tables in (one node: replication factor 1). */
export const FLIX_KEYSPACE = 'flix';

/**
 * A cassandra-driver client of the cluster's node with the flix keyspace made, after `prepare`
 * (a service's tables) ran — retried for up to `patienceMs`: a node that answers health probes can
 * still be slow to take new sessions on a busy machine.
 */
export async function connectCassandra(
  endpoint: string,
  prepare: (client: cassandra.Client) => Promise<void> = async () => {},
  patienceMs = 60_000,
): Promise<cassandra.Client> {
  const deadline = Date.now() + patienceMs;
  for (;;) {
    const client = new cassandra.Client({
      contactPoints: [endpoint],
      localDataCenter: 'datacenter1',
      socketOptions: { connectTimeout: 5000, readTimeout: 5000 },
    });
    try {
      await client.connect();
      await client.execute(
        `CREATE KEYSPACE IF NOT EXISTS ${FLIX_KEYSPACE} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
      );
      await prepare(client);
      return client;
    } catch (error) {
      await client.shutdown().catch(() => {});
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
