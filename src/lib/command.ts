import { Command, Flags } from '@oclif/core';
import { FlixError } from './errors.js';

/**
 * Base of every flix command: `--json` (run() returns data, oclif prints it), and errors the user
 * can fix rendered as a message plus next step with their own exit code. Anything else is a bug:
 * oclif prints it with a stack and exits 1.
 */
export abstract class FlixCommand extends Command {
  static override enableJsonFlag = true;

  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    if (err instanceof FlixError) {
      if (this.jsonEnabled()) {
        process.stdout.write(`${JSON.stringify(err.toJSON(), null, 2)}\n`);
      } else {
        process.stderr.write(`${err.render()}\n`);
      }
      process.exitCode = err.exitCode;
      return;
    }
    return super.catch(err);
  }
}

/** --name, shared by every command that talks to a cluster. */
export const nameFlag = Flags.string({
  char: 'n',
  description: 'cluster name [default: $FLIX_CLUSTER or "default"]',
  helpValue: 'NAME',
});
