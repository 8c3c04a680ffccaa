import { Client } from '@elastic/elasticsearch';

/** A client of the cluster's Elasticsearch; no retries of its own (callers decide what a failure means). */
export function elasticsearchClient(endpoint: string, requestTimeoutMs: number): Client {
  return new Client({ node: endpoint, requestTimeout: requestTimeoutMs, maxRetries: 0 });
}
