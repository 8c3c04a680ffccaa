import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ComponentPlan } from '../../cluster/components.js';
import { runQuiet } from '../../core/exec.js';
import type { EngineContext, EngineDriver } from '../driver.js';
import { heapFlags, javaBinary } from '../java.js';
import { renderTemplateFile } from '../template.js';
import { mavenEngineHome } from '../versions.js';
import { Kafka, logLevel } from './client.js';

/** A Kafka cluster id: 16 random bytes, base64url without padding (what StorageTool random-uuid prints). */
export function newKafkaClusterId(): string {
  // like Kafka's own generator, never one that starts with '-': StorageTool would read it as an option
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

const classpath = (ctx: EngineContext) => `${join(mavenEngineHome(ctx.enginesDir, 'kafka'), 'libs')}/*`;

const jvmArgs = (c: ComponentPlan, ctx: EngineContext) => [
  ...heapFlags(c.settings.heap as string),
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:+ExitOnOutOfMemoryError',
  '-Djava.awt.headless=true',
  `-Dlog4j.configuration=file:${join(c.confDir, 'log4j.properties')}`,
  '-cp',
  classpath(ctx),
];

/** Kafka in KRaft mode: one node that is broker and controller. */
export const kafkaDriver: EngineDriver = {
  async prepare(c, ctx) {
    const props = join(c.confDir, 'server.properties');
    await renderTemplateFile('kafka/server.properties', props, {
      brokerPort: c.ports.broker as number,
      controllerPort: c.ports.controller as number,
      dataDir: c.dataDir,
    });
    await renderTemplateFile('kafka/log4j.properties', join(c.confDir, 'log4j.properties'), {});
    if (existsSync(join(c.dataDir, 'meta.properties'))) return; // formatted before: keep the log
    await mkdir(c.dataDir, { recursive: true });
    await runQuiet(javaBinary(), [
      '-Xmx256m',
      ...jvmArgs(c, ctx).filter((a) => !a.startsWith('-Xm')),
      'kafka.tools.StorageTool',
      'format',
      '-t',
      newKafkaClusterId(),
      '-c',
      props,
    ]);
  },

  launch(c, ctx) {
    return {
      file: javaBinary(),
      args: [...jvmArgs(c, ctx), 'kafka.Kafka', join(c.confDir, 'server.properties')],
    };
  },

  async probe(c) {
    const kafka = new Kafka({
      clientId: 'flix-probe',
      brokers: [c.endpoint],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 2000,
      retry: { retries: 0 },
    });
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length === 0) throw new Error('kafka answered but reports no broker');
    } finally {
      await admin.disconnect();
    }
  },
};
