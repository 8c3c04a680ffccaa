import { Command, Flags } from '@oclif/core';
import { ExitCode, type ExitCodeName, FlixError } from './errors.js';

/**
 * Base of every flix command: `--json` (run() returns data, oclif prints it), one abort signal
 * for everything the command starts (Ctrl-C aborts it, and a second Ctrl-C exits at once), and
 * errors the user can fix rendered as a message plus next step with their own exit code.
 * Anything else is a bug: oclif prints it with a stack and exits 1.
 */
export abstract class FlixCommand extends Command {
  static override enableJsonFlag = true;

  private abortController: AbortController | null = null;
  private readonly onSigint = () => {
    if (this.abortController?.signal.aborted) process.exit(130);
    this.abortController?.abort(new FlixError('interrupted', { code: 'usage' }));
  };

  /** Aborted on Ctrl-C; pass it to everything the command starts so all of it stops together. */
  protected get signal(): AbortSignal {
    if (!this.abortController) {
      this.abortController = new AbortController();
      process.on('SIGINT', this.onSigint);
    }
    return this.abortController.signal;
  }

  /** Ends the command with this exit code once it has printed its result (no error message). */
  protected exitWith(code: ExitCodeName): void {
    process.exitCode = ExitCode[code];
  }

  protected override async finally(err: Error | undefined): Promise<unknown> {
    process.off('SIGINT', this.onSigint);
    return super.finally(err);
  }

  protected override async catch(
    err: Error & { exitCode?: number; oclif?: { exit?: number } },
  ): Promise<unknown> {
    // a flag or argument oclif could not parse is a usage error (exit 2) with --json or without
    if (!(err instanceof FlixError) && err.oclif?.exit === 2) {
      const lines = err.message
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('See more help'));
      err = new FlixError(lines.join(' ').replace(/^Parsing /, ''), {
        code: 'usage',
        nextStep: `\`${this.config.bin} ${this.id?.replaceAll(':', ' ') ?? ''} --help\` shows the flags and examples`,
      });
    }
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

/** `--zone` of the commands that act on the edges: one zone's edge instead of every one. */
export const edgeZoneFlag = Flags.string({
  char: 'z',
  description: "only this zone's edge (default: every zone)",
  helpValue: 'ZONE',
});

/** --name, --user and --token: who a viewer command acts as (`flix users create` keeps the token). */
export const viewerFlags = {
  name: nameFlag,
  user: Flags.string({ char: 'u', description: 'as this user (its token file from `flix users create`)' }),
  token: Flags.string({ description: 'API token (default: the --user token file)' }),
};

/** The description of `flix like`, `dislike` and `unvote`. */
export const voteDescription =
  "Votes through the ELB and gateway; the answer has the title's new counts and says whether anything changed.\n\nExit codes: 0 done (or already so), 2 bad flags or no/invalid token, 7 cluster not running, 8 the API failed, 13 not licensed in your region, 15 no such title.";
