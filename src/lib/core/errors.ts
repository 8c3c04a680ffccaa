/**
 * Two kinds of error:
 * - FlixError: something the user can fix. It says what happened and what to do next, and
 *   carries a distinct exit code so scripts can tell failures apart.
 * - anything else is a bug in flix and exits with code 1 and a stack trace.
 */

export const ExitCode = {
  ok: 0,
  bug: 1,
  usage: 2,
  invalidConfig: 3,
  engineMissing: 4,
  portBusy: 5,
  alreadyRunning: 6,
  notRunning: 7,
  componentFailed: 8,
  setupFailed: 9,
  problemsFound: 10,
  timeout: 11,
  invalidInput: 12,
  conflict: 13,
  jobFailed: 14,
  notFound: 15,
} as const;
export type ExitCodeName = keyof typeof ExitCode;

export class FlixError extends Error {
  readonly exitCode: number;
  readonly nextStep?: string;
  readonly details?: string;

  constructor(
    message: string,
    opts: { code: ExitCodeName; nextStep?: string; details?: string; cause?: unknown },
  ) {
    super(message, { cause: opts.cause });
    this.name = 'FlixError';
    this.exitCode = ExitCode[opts.code];
    this.nextStep = opts.nextStep;
    this.details = opts.details;
  }

  /** The whole message as a user reads it: what happened, details, then the next step. */
  render(): string {
    const parts = [this.message];
    if (this.details) parts.push(this.details);
    if (this.nextStep) parts.push(`Next: ${this.nextStep}`);
    return parts.join('\n');
  }

  toJSON(): Record<string, unknown> {
    return { error: this.message, exitCode: this.exitCode, details: this.details, nextStep: this.nextStep };
  }
}
