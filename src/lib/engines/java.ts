import { realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { requireBinary } from './binaries.js';

/** The java binary engines run with: $JAVA_HOME/bin/java, else the one on PATH. */
export function javaBinary(env: NodeJS.ProcessEnv = process.env): string {
  if (env.JAVA_HOME) return `${env.JAVA_HOME}/bin/java`;
  return requireBinary('java');
}

/** The JDK/JRE home behind javaBinary() (for ES_JAVA_HOME). */
export function javaHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.JAVA_HOME) return env.JAVA_HOME;
  return dirname(dirname(realpathSync(javaBinary(env))));
}

/** -Xms/-Xmx for a heap setting like 512m. */
export function heapFlags(heap: string | number): string[] {
  return [`-Xms${heap}`, `-Xmx${heap}`];
}

/**
 * The flags of a small single-jar JVM server on a 2-core machine: the heap, the serial collector
 * (no GC threads to compete with the rest of the cluster), no perf-data file, and an exit on
 * OutOfMemoryError so the supervisor restarts it rather than it limping on.
 */
export function smallServerFlags(heap: string | number): string[] {
  return [...heapFlags(heap), '-XX:+UseSerialGC', '-XX:-UsePerfData', '-XX:+ExitOnOutOfMemoryError'];
}
