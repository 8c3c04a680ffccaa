import { describe, expect, it } from 'vitest';
import { installCommand, missingTools, packagesFor } from './system-packages.js';

describe('system packages', () => {
  it('maps missing binaries to packages, each once', () => {
    const missing = missingTools((b) =>
      ['ffmpeg', 'ffprobe', 'mariadbd', 'java'].includes(b) ? null : `/usr/bin/${b}`,
    );
    expect(packagesFor(missing, 'apt')).toEqual(['default-jre-headless', 'ffmpeg', 'mariadb-server']);
    expect(packagesFor(missing, 'brew')).toEqual(['openjdk@17', 'ffmpeg', 'mariadb']);
  });

  it('prints a command a non-root user can paste', () => {
    expect(installCommand(['nginx'], 'apt', false)).toBe(
      'sudo apt-get update && sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx',
    );
  });
});
