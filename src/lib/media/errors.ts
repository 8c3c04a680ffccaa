/**
 * The media library's two kinds of error:
 *
 * - {@link MediaError}: the source file is unusable (empty, not a video, cut off, too short). The
 *   uploader can fix it; the message says what is wrong and what to do. `reason` is a short machine
 *   code so callers can map it to an exit code or an HTTP status.
 * - {@link MediaToolError}: an ffmpeg/ffprobe run failed on input that already passed validation.
 *   That is a bug or a broken installation; it records the command, its arguments and the last
 *   lines ffmpeg printed.
 */

export const MEDIA_ERROR_REASONS = [
  'not-found',
  'not-a-file',
  'empty-file',
  'not-video',
  'corrupt',
  'audio-only',
  'too-short',
  'unsupported',
] as const;
export type MediaErrorReason = (typeof MEDIA_ERROR_REASONS)[number];

export class MediaError extends Error {
  readonly reason: MediaErrorReason;
  /** the file the problem is about */
  readonly file: string;
  /** what the user can do about it */
  readonly nextStep: string;
  /** extra evidence, e.g. the last lines ffprobe printed */
  readonly details?: string;

  constructor(
    reason: MediaErrorReason,
    problem: string,
    opts: { file: string; nextStep: string; details?: string; cause?: unknown },
  ) {
    super(`${problem} ${opts.nextStep}`, { cause: opts.cause });
    this.name = 'MediaError';
    this.reason = reason;
    this.file = opts.file;
    this.nextStep = opts.nextStep;
    this.details = opts.details;
  }

  toJSON(): Record<string, unknown> {
    return { error: this.message, reason: this.reason, file: this.file, details: this.details };
  }
}

export function isMediaError(e: unknown): e is MediaError {
  return e instanceof MediaError;
}

/** An ffmpeg or ffprobe run that failed. Carries everything needed to reproduce it by hand. */
export class MediaToolError extends Error {
  readonly tool: string;
  readonly args: readonly string[];
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  /** the last lines the tool wrote to stderr */
  readonly stderrTail: readonly string[];

  constructor(opts: {
    what: string;
    tool: string;
    args: readonly string[];
    exitCode: number | null;
    signal?: string | null;
    timedOut?: boolean;
    stderr: string;
    cause?: unknown;
  }) {
    const tail = lastLines(opts.stderr, 15);
    const how = opts.timedOut
      ? 'timed out'
      : opts.signal
        ? `killed by ${opts.signal}`
        : `exit ${opts.exitCode ?? '?'}`;
    super(
      [
        `${opts.what} failed (${how}): ${formatCommand(opts.tool, opts.args)}`,
        ...tail.map((l) => `  ${l}`),
      ].join('\n'),
      { cause: opts.cause },
    );
    this.name = 'MediaToolError';
    this.tool = opts.tool;
    this.args = opts.args;
    this.exitCode = opts.exitCode;
    this.signal = opts.signal ?? null;
    this.timedOut = opts.timedOut ?? false;
    this.stderrTail = tail;
  }

  /** the command line, quoted so it can be pasted into a shell */
  get command(): string {
    return formatCommand(this.tool, this.args);
  }
}

/** The last `n` non-empty lines of a tool's output (progress lines with \r count as lines). */
export function lastLines(text: string, n: number): string[] {
  return text
    .split(/\r?\n|\r/)
    .map((l) => l.trimEnd())
    .filter((l) => l.length > 0)
    .slice(-n);
}

/** A command line quoted for a POSIX shell. */
export function formatCommand(tool: string, args: readonly string[]): string {
  return [tool, ...args].map(shellQuote).join(' ');
}

function shellQuote(arg: string): string {
  if (arg !== '' && /^[\w@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}
