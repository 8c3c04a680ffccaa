import { Flags } from '@oclif/core';
import { FlixCommand, nameFlag } from '../../lib/core/command.js';
import { parseDurationSeconds } from '../../lib/core/durations.js';
import { resolveClusterName } from '../../lib/core/paths.js';
import { compactHistoryNow } from '../../lib/ops/history.js';

export default class HistoryCompact extends FlixCommand {
  static override summary =
    'Move old live viewing history into the compressed rows now (the scheduled job, run by hand)';
  static override description =
    'The history service runs this every services.history.compactSeconds. Each user is one step: the merged compressed row is written, then the moved live rows are deleted at their own timestamps, so a heartbeat that arrived meanwhile stays. Interrupting it loses nothing; run it again to finish. Progress (one line per user) goes to stderr.\n\nExit codes: 0 done, 2 bad flags, 7 cluster not running.';
  static override examples = [
    '<%= config.bin %> history compact',
    '<%= config.bin %> history compact --older-than 0s --json   # everything, e.g. before a test',
  ];
  static override flags = {
    name: nameFlag,
    'older-than': Flags.string({
      description: 'move live history older than this',
      default: '30d',
      helpValue: '7d',
    }),
  };

  async run() {
    const { flags } = await this.parse(HistoryCompact);
    const seconds = parseDurationSeconds(flags['older-than']);
    const result = await compactHistoryNow(
      resolveClusterName(flags.name),
      seconds,
      (user, rows, step) => process.stderr.write(`${step} ${rows} row${rows === 1 ? '' : 's'} of ${user}\n`),
      this.signal,
    );
    if (!this.jsonEnabled())
      this.log(
        `moved ${result.rows} rows of ${result.users} users older than ${result.before} in ${result.seconds.toFixed(1)} s`,
      );
    return result;
  }
}
