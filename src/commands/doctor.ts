import { Flags } from '@oclif/core';
import chalk from 'chalk';
import { FlixCommand } from '../lib/core/command.js';
import { renderTable } from '../lib/core/table.js';
import { type CheckStatus, runDoctor } from '../lib/ops/doctor.js';

const mark: Record<CheckStatus, string> = {
  ok: chalk.green('ok'),
  warn: chalk.yellow('warn'),
  problem: chalk.red('PROBLEM'),
};

export default class Doctor extends FlixCommand {
  static override summary =
    'Check what is present, missing or wrong, and print the command that fixes each problem';
  static override description =
    `Checks Node, Java (17+), Maven, the system engines (ffmpeg, nginx, memcached, MariaDB), the JVM engines under $FLIX_HOME/engines, the Elasticsearch user, disk, memory and the pinned ports of a cluster definition. Exit codes: 0 no problems (warnings allowed), 10 problems found.`;

  static override examples = ['<%= config.bin %> doctor', '<%= config.bin %> doctor --cluster ci --json'];

  static override flags = {
    cluster: Flags.string({
      char: 'c',
      description: 'cluster definition whose pinned ports to check',
      default: 'default',
    }),
  };

  async run() {
    const { flags } = await this.parse(Doctor);
    const checks = await runDoctor({ clusterFile: flags.cluster });
    const problems = checks.filter((c) => c.status === 'problem');
    if (!this.jsonEnabled()) {
      this.log(
        renderTable(
          ['check', 'status', 'detail'],
          checks.map((c) => [c.check, mark[c.status], c.detail]),
        ),
      );
      if (problems.length) {
        this.log(`\n${problems.length} problem(s). To fix:`);
        for (const f of new Set(problems.map((p) => p.fix).filter(Boolean))) this.log(`  ${f}`);
      } else {
        this.log('\nNo problems found.');
      }
    }
    if (problems.length) this.exitWith('problemsFound');
    return { ok: problems.length === 0, problems: problems.length, checks };
  }
}
