import { createInterface } from 'node:readline/promises';
import { Flags } from '@oclif/core';
import { FlixCommand } from '../lib/core/command.js';
import { FlixError } from '../lib/core/errors.js';
import { renderTable } from '../lib/core/table.js';
import { setup } from '../lib/ops/setup/setup.js';

export default class Setup extends FlixCommand {
  static override summary = 'Install every engine flix needs, once';
  static override description =
    `Installs the system packages (ffmpeg, nginx, memcached, MariaDB, a JRE and Maven) through apt-get on Debian/Ubuntu or Homebrew on macOS, creates the unprivileged user Elasticsearch runs as (when run as root), and fetches the JVM engines — Kafka, Cassandra, Elasticsearch and the S3 origin (s3proxy) — from Maven Central into $FLIX_HOME/engines (default ~/.flix/engines), at the versions pinned in templates/engines/pom.xml. A second run finds everything present and changes nothing.

Exit codes: 0 done, 9 an install step failed.`;

  static override examples = [
    '<%= config.bin %> setup --yes',
    '<%= config.bin %> setup --yes --for-tests',
    'FLIX_HOME=/opt/flix <%= config.bin %> setup --yes --json',
  ];

  static override flags = {
    yes: Flags.boolean({ char: 'y', description: 'install without asking (needed without a terminal)' }),
    'for-tests': Flags.boolean({
      description: "also what flix's own test suite needs (headless Chromium for the browser tests)",
    }),
  };

  async run() {
    const { flags } = await this.parse(Setup);
    const interactive = process.stdin.isTTY && !this.jsonEnabled();
    const result = await setup({
      yes: flags.yes,
      forTests: flags['for-tests'],
      progress: (line) => {
        if (!this.jsonEnabled()) process.stderr.write(`${line}\n`);
      },
      confirm: async (question) => {
        if (!interactive) {
          throw new FlixError('setup needs to install system packages and there is no terminal to ask', {
            code: 'setupFailed',
            nextStep: 'run `flix setup --yes`',
          });
        }
        const rl = createInterface({ input: process.stdin, output: process.stderr });
        const answer = await rl.question(`${question} [y/N] `);
        rl.close();
        return /^y(es)?$/i.test(answer.trim());
      },
    });
    if (!this.jsonEnabled()) {
      this.log(
        renderTable(
          ['step', 'result', 'seconds', 'detail'],
          result.steps.map((s) => [s.step, s.action, String(s.seconds), s.detail]),
        ),
      );
      this.log(
        result.changed
          ? '\nSetup complete. Next: `flix doctor` to check the machine, `flix up` to start a cluster.'
          : '\nEverything is already installed; nothing to do. Next: `flix up`.',
      );
    }
    return result;
  }
}
