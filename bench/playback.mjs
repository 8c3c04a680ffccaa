#!/usr/bin/env node
// @ts-check
// The playback path benchmarks in sequence on one cluster and one ingest (run on purpose, never
// as a test): 1. start-play latency (bench/start-play.mjs), 2. what the ELB + gateway add
// (bench/gateway-overhead.mjs), 3. edge throughput vs plain nginx (bench/edge-throughput.mjs).
// Each of those also runs alone; this runner saves the cluster start and the ingests between
// them. Options: `node bench/playback.mjs --help`.
import { edgeThroughput } from './edge-throughput.mjs';
import { gatewayOverhead } from './gateway-overhead.mjs';
import { numbers } from './lib/args.mjs';
import { runPlayback } from './lib/playback.mjs';
import { startPlay } from './start-play.mjs';

const parts = [startPlay, gatewayOverhead, edgeThroughput];

await runPlayback(process.argv.slice(2), {
  title: 'playback',
  usage: `node bench/playback.mjs [options]

On one cluster it starts itself (bench/playback-cluster.yaml: cluster/ci.yaml with the gateway's
rate limits raised), after ingesting a source twice (a cold and a warm title) and creating a user:

${parts.map((p, i) => `${i + 1}. ${p.description}`).join('\n\n')}

Everything talks to 127.0.0.1 only. Results: bench/results/playback-<timestamp>.json.`,
  parts,
  extraOptions: { parts: numbers([1, 2, 3], 'which of the benchmarks above to run', 'LIST') },
  select: (o) => parts.filter((_, i) => o.parts.includes(i + 1)),
});
