import { findBinary, NJS_MODULE } from '../../engines/binaries.js';

/**
 * The system tools flix needs, the binary that proves each is there, and the package that
 * provides it on Debian/Ubuntu (apt) and macOS (Homebrew).
 */
export interface SystemTool {
  binary: string;
  purpose: string;
  apt: string;
  brew: string;
  /** only needed on Linux */
  linuxOnly?: boolean;
  /** only needed to run flix's own tests (`flix setup --for-tests`) */
  testsOnly?: boolean;
}

export const systemTools: SystemTool[] = [
  {
    binary: 'java',
    purpose: 'runs the JVM engines (17 or newer)',
    apt: 'default-jre-headless',
    brew: 'openjdk@17',
  },
  { binary: 'mvn', purpose: 'fetches the JVM engines from Maven Central', apt: 'maven', brew: 'maven' },
  { binary: 'ffmpeg', purpose: 'transcoding', apt: 'ffmpeg', brew: 'ffmpeg' },
  { binary: 'ffprobe', purpose: 'probing media', apt: 'ffmpeg', brew: 'ffmpeg' },
  { binary: 'nginx', purpose: 'the CDN edges', apt: 'nginx', brew: 'nginx' },
  {
    binary: NJS_MODULE,
    purpose: "the edges' njs module (signed origin requests, plan caps)",
    apt: 'libnginx-mod-http-js',
    brew: '',
    linuxOnly: true,
  },
  { binary: 'memcached', purpose: 'EVCache nodes', apt: 'memcached', brew: 'memcached' },
  { binary: 'prometheus', purpose: 'the metrics store', apt: 'prometheus', brew: 'prometheus' },
  { binary: 'mariadbd', purpose: 'the relational store', apt: 'mariadb-server', brew: 'mariadb' },
  {
    binary: 'mariadb-install-db',
    purpose: 'initialising its data dir',
    apt: 'mariadb-server',
    brew: 'mariadb',
  },
  { binary: 'mariadb-admin', purpose: 'stopping it cleanly', apt: 'mariadb-client', brew: 'mariadb' },
  {
    binary: 'getfattr',
    purpose: 'origin housekeeping (s3proxy keeps ETags in xattrs)',
    apt: 'attr',
    brew: '',
    linuxOnly: true,
  },
  {
    binary: 'setfacl',
    purpose: 'letting the Elasticsearch user reach $FLIX_HOME',
    apt: 'acl',
    brew: '',
    linuxOnly: true,
  },
  {
    binary: 'iptables',
    purpose: 'chaos: cutting a component or a zone off on loopback',
    apt: 'iptables',
    brew: '',
    linuxOnly: true,
  },
  {
    binary: 'chromium',
    purpose: "the browser tests' headless Chromium (hls.js, dash.js, Shaka Player)",
    apt: 'chromium',
    brew: '',
    linuxOnly: true,
    testsOnly: true,
  },
];

/** The tools this platform needs. */
export function toolsForPlatform(
  platform: NodeJS.Platform = process.platform,
  opts: { forTests?: boolean } = {},
): SystemTool[] {
  return systemTools.filter((t) => (platform === 'linux' || !t.linuxOnly) && (opts.forTests || !t.testsOnly));
}

export function missingTools(
  find: (b: string) => string | null = findBinary,
  platform: NodeJS.Platform = process.platform,
  opts: { forTests?: boolean } = {},
): SystemTool[] {
  return toolsForPlatform(platform, opts).filter((t) => !find(t.binary));
}

/** The packages that provide the missing tools, each once, in a stable order. */
export function packagesFor(tools: SystemTool[], manager: 'apt' | 'brew'): string[] {
  return [...new Set(tools.map((t) => t[manager]))];
}

export function installCommand(pkgs: string[], manager: 'apt' | 'brew', root: boolean): string {
  if (manager === 'brew') return `brew install ${pkgs.join(' ')}`;
  const sudo = root ? '' : 'sudo ';
  return `${sudo}apt-get update && ${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${pkgs.join(' ')}`;
}
