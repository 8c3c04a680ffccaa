import { mkdir } from 'node:fs/promises';
import { execa } from 'execa';
import { FlixError } from '../../core/errors.js';
import { enginesDir, flixHome } from '../../core/paths.js';
import { findBinary } from '../../engines/binaries.js';
import { engineUser, lookupUser } from '../../engines/engine-user.js';
import { grantTraverseTo } from '../../engines/engine-user-access.js';
import { fetchMavenEngine, mavenEngines } from './maven-engines.js';
import { installCommand, missingTools, packagesFor } from './system-packages.js';

export interface SetupStepResult {
  step: string;
  action: 'present' | 'installed' | 'created';
  detail: string;
  seconds: number;
}

export interface SetupResult {
  changed: boolean;
  steps: SetupStepResult[];
  enginesDir: string;
}

export interface SetupOptions {
  /** install without asking; required when there is no TTY */
  yes: boolean;
  /** also what flix's own tests need (a headless Chromium for the browser tests) */
  forTests?: boolean;
  confirm: (question: string) => Promise<boolean>;
  progress: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

const isRoot = () => process.getuid?.() === 0;

/**
 * `flix setup`: everything a machine needs to run a cluster, installed once. Each step checks
 * first and does nothing when its part is present, so a second run changes nothing.
 */
export async function setup(opts: SetupOptions): Promise<SetupResult> {
  const env = opts.env ?? process.env;
  const steps: SetupStepResult[] = [];
  const dir = enginesDir(env);

  // 1. System packages
  let t0 = Date.now();
  const missing = missingTools(undefined, undefined, { forTests: opts.forTests });
  if (missing.length === 0) {
    steps.push({
      step: 'system packages',
      action: 'present',
      detail: 'java, mvn, ffmpeg, nginx, memcached, mariadb, prometheus',
      seconds: 0,
    });
  } else {
    const manager = process.platform === 'darwin' ? 'brew' : 'apt';
    const pkgs = packagesFor(missing, manager);
    const cmd = installCommand(pkgs, manager, isRoot());
    if (manager === 'apt' && !findBinary('apt-get')) {
      throw new FlixError(`missing ${missing.map((m) => m.binary).join(', ')} and there is no apt-get here`, {
        code: 'setupFailed',
        nextStep: `install the equivalents of: ${pkgs.join(' ')} with your package manager, then \`flix setup\` again`,
      });
    }
    if (manager === 'apt' && !isRoot()) {
      throw new FlixError(`missing ${missing.map((m) => m.binary).join(', ')}; installing them needs root`, {
        code: 'setupFailed',
        nextStep: `run: ${cmd}   then: flix setup --yes`,
      });
    }
    if (!opts.yes && !(await opts.confirm(`Install ${pkgs.join(', ')} with: ${cmd} ?`))) {
      throw new FlixError('setup cancelled: system packages not installed', {
        code: 'setupFailed',
        nextStep: `run \`${cmd}\` yourself, or \`flix setup --yes\``,
      });
    }
    opts.progress(`installing ${pkgs.join(' ')} (${manager})`);
    if (manager === 'apt') {
      await runStreaming('apt-get', ['update', '-q'], opts.progress, env);
      await runStreaming(
        'apt-get',
        ['install', '-y', '-q', '--no-install-recommends', ...pkgs],
        opts.progress,
        {
          ...env,
          DEBIAN_FRONTEND: 'noninteractive',
        },
      );
    } else {
      await runStreaming('brew', ['install', ...pkgs], opts.progress, env);
    }
    const still = missingTools(undefined, undefined, { forTests: opts.forTests });
    if (still.length > 0) {
      throw new FlixError(`still missing after install: ${still.map((s) => s.binary).join(', ')}`, {
        code: 'setupFailed',
        nextStep: `check the package manager's output above; then \`flix doctor\``,
      });
    }
    steps.push({ step: 'system packages', action: 'installed', detail: pkgs.join(' '), seconds: secs(t0) });
  }

  // 2. The unprivileged account Elasticsearch runs as (only needed when flix runs as root),
  //    and its way into $FLIX_HOME (under /root, mode 700, by default).
  if (isRoot() && process.platform === 'linux') {
    t0 = Date.now();
    if (lookupUser(engineUser)) {
      steps.push({
        step: `user ${engineUser}`,
        action: 'present',
        detail: 'runs Elasticsearch (it refuses root)',
        seconds: 0,
      });
    } else {
      const args = ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent'];
      await runStreaming(
        'useradd',
        [...args, '--shell', '/usr/sbin/nologin', engineUser],
        opts.progress,
        env,
      );
      steps.push({
        step: `user ${engineUser}`,
        action: 'created',
        detail: 'runs Elasticsearch (it refuses root)',
        seconds: secs(t0),
      });
    }
    t0 = Date.now();
    await mkdir(dir, { recursive: true });
    const granted = await grantTraverseTo(flixHome(env));
    steps.push({
      step: `${engineUser} can enter $FLIX_HOME`,
      action: granted.length ? 'created' : 'present',
      detail: granted.length ? `ACL u:${engineUser}:x on ${granted.join(', ')}` : flixHome(env),
      seconds: granted.length ? secs(t0) : 0,
    });
  }

  // 3. JVM engines from Maven Central.
  await mkdir(dir, { recursive: true });
  for (const e of mavenEngines(dir)) {
    t0 = Date.now();
    if (e.installed) {
      steps.push({ step: `${e.profile} ${e.version}`, action: 'present', detail: e.home, seconds: 0 });
      continue;
    }
    opts.progress(`fetching ${e.profile} ${e.version} from Maven Central`);
    let n = 0;
    await fetchMavenEngine(e, dir, (line) => {
      n++;
      opts.progress(`  ${e.profile}: ${n} artifacts, ${line}`);
    });
    steps.push({ step: `${e.profile} ${e.version}`, action: 'installed', detail: e.home, seconds: secs(t0) });
  }

  return { changed: steps.some((s) => s.action !== 'present'), steps, enginesDir: dir };
}

async function runStreaming(
  file: string,
  args: string[],
  progress: (l: string) => void,
  env: NodeJS.ProcessEnv,
) {
  const proc = execa(file, args, { all: true, reject: false, env });
  const tail: string[] = [];
  proc.all?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      tail.push(line);
      if (tail.length > 20) tail.shift();
      if (/^(Get:|Setting up|Unpacking|==>)/.test(line)) progress(`  ${line.slice(0, 100)}`);
    }
  });
  const r = await proc;
  if (r.exitCode !== 0) {
    throw new FlixError(`\`${file} ${args.join(' ')}\` failed (exit ${r.exitCode})`, {
      code: 'setupFailed',
      details: tail.join('\n'),
      nextStep: 'fix the problem shown above, then run `flix setup --yes` again',
    });
  }
}

const secs = (t0: number) => Math.round((Date.now() - t0) / 100) / 10;
