import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import { FlixError } from '../../core/errors.js';
import { enginesDir, templatesDir } from '../../core/paths.js';
import { javaBinary } from '../../engines/java.js';
import { engineVersions, installedMarker, mavenEngineHome } from '../../engines/versions.js';
import { fetchMavenEngine } from '../setup/maven-engines.js';

/**
 * Spark for the offline training job: Spark MLlib in local mode, fetched from Maven Central on
 * first use (it is large and only `flix recs train` needs it), the job compiled once per version
 * of its source, then run as one JVM.
 */

const JOB_SOURCE = join(templatesDir, 'spark', 'RecsJob.java');

// Spark 3.5 reaches into the JDK's internals; Java 17 refuses without these
const ADD_OPENS = [
  'java.base/java.lang',
  'java.base/java.lang.invoke',
  'java.base/java.nio',
  'java.base/java.util',
  'java.base/sun.nio.ch',
].map((m) => `--add-opens=${m}=ALL-UNNAMED`);

export async function ensureSpark(onLine: (line: string) => void): Promise<string> {
  const dir = enginesDir();
  const home = mavenEngineHome(dir, 'spark');
  if (!existsSync(join(home, installedMarker))) {
    onLine(`fetching Spark MLlib ${engineVersions().spark} from Maven Central (once, about 250 MB)`);
    await fetchMavenEngine(
      { engine: 'spark', profile: 'spark', version: engineVersions().spark, home, installed: false },
      dir,
      onLine,
    );
  }
  return home;
}

/** The compiled job's class directory, compiled now when its source changed. */
async function compiledJob(home: string): Promise<string> {
  const source = await readFile(JOB_SOURCE);
  const classes = join(home, `job-${createHash('sha256').update(source).digest('hex').slice(0, 12)}`);
  if (existsSync(join(classes, 'RecsJob.class'))) return classes;
  const scratch = `${classes}.tmp-${process.pid}`;
  await mkdir(scratch, { recursive: true });
  const r = await execa('javac', ['-cp', join(home, 'jars', '*'), '-d', scratch, JOB_SOURCE], {
    all: true,
    reject: false,
  });
  if (r.exitCode !== 0) {
    await rm(scratch, { recursive: true, force: true });
    throw new FlixError('compiling the Spark training job failed', {
      code: 'setupFailed',
      details: r.all,
      nextStep: 'check that a JDK 17 (javac) is installed: `flix doctor`',
    });
  }
  await rename(scratch, classes).catch(async (e) => {
    // another run compiled the same source meanwhile
    await rm(scratch, { recursive: true, force: true });
    if (!existsSync(classes)) throw e;
  });
  return classes;
}

/**
 * Train on every prepared directory (see RecsJob.java for what each holds and gets) in one JVM.
 * onLine gets the job's own progress lines.
 */
export async function runSparkJob(
  dirs: string[],
  onLine: (line: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  const home = await ensureSpark(onLine);
  const classes = await compiledJob(home);
  const proc = execa(
    javaBinary(),
    [
      ...ADD_OPENS,
      '-Xmx1g',
      // Spark writes its scratch under java.io.tmpdir: keep it beside the job's data
      `-Djava.io.tmpdir=${dirs[0]}`,
      '-cp',
      `${join(home, 'jars', '*')}:${classes}`,
      'RecsJob',
      ...dirs,
    ],
    { all: true, reject: false, cancelSignal: signal, forceKillAfterDelay: 5000 },
  );
  const tail: string[] = [];
  if (proc.all) {
    for await (const line of createInterface({ input: proc.all })) {
      if (!line.trim() || /^\s+at |^SLF4J:/.test(line)) continue;
      tail.push(line);
      if (tail.length > 20) tail.shift();
      if (line.startsWith('trained ')) onLine(line);
    }
  }
  const r = await proc;
  if (r.isCanceled) throw new FlixError('training interrupted', { code: 'jobFailed' });
  if (r.exitCode !== 0) {
    throw new FlixError(`the Spark training job failed (exit ${r.exitCode})`, {
      code: 'jobFailed',
      details: tail.join('\n'),
      nextStep: 'the lines above are Spark’s; `flix doctor` checks Java',
    });
  }
}
