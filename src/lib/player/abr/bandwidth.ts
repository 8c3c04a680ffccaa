import { FlixError } from '../../core/errors.js';

/** From `startSeconds` on, the link carries `bitsPerSecond`. */
export interface BandwidthStep {
  startSeconds: number;
  bitsPerSecond: number;
}

/** A link's rate over time: steps in time order, the first starting at 0. */
export type BandwidthProfile = readonly BandwidthStep[];

const UNITS = { bps: 1, kbps: 1e3, mbps: 1e6 } as const;
const EXAMPLE = '3mbps,800kbps@10s,6mbps@20s';

/** A constant rate for the whole session. */
export function constantBandwidth(bitsPerSecond: number): BandwidthProfile {
  return [{ startSeconds: 0, bitsPerSecond }];
}

/**
 * Parses `--bandwidth`: comma-separated rates (units bps, kbps, mbps, case-insensitive), each but
 * the first with `@<seconds>s` for when it starts, e.g. `3mbps,800kbps@10s,6mbps@20s`. A rate of
 * 0 is an outage. Throws a FlixError (bad arguments) that says which entry is wrong and how.
 */
export function parseBandwidthProfile(text: string): BandwidthProfile {
  const fail = (problem: string): never => {
    throw new FlixError(problem, {
      code: 'usage',
      details: `in the bandwidth profile "${text}"`,
      nextStep: `write rates like ${EXAMPLE} (units bps, kbps, mbps; @<seconds>s says when a rate starts)`,
    });
  };
  if (text.trim() === '') fail('the bandwidth profile is empty');
  const steps: BandwidthStep[] = [];
  text.split(',').forEach((raw, i) => {
    const entry = raw.trim();
    if (entry === '') fail(`entry ${i + 1} is empty`);
    const [rateText = '', ...times] = entry.split('@');
    if (times.length > 1) fail(`"${entry}" has more than one @`);
    const bitsPerSecond =
      parseRate(rateText.trim()) ?? fail(`"${rateText.trim()}" is not a rate like 800kbps`);
    const timeText = times[0]?.trim();
    let startSeconds = 0;
    if (timeText === undefined) {
      if (i > 0)
        fail(
          `"${entry}" needs a start time, like ${entry}@10s (only the first rate starts at 0 without one)`,
        );
    } else {
      startSeconds = parseSeconds(timeText) ?? fail(`"${timeText}" in "${entry}" is not a time like 10s`);
      if (i === 0 && startSeconds !== 0)
        fail(`the first rate starts at 0s, but "${entry}" starts at ${timeText}`);
      const previous = steps[steps.length - 1];
      if (previous && startSeconds <= previous.startSeconds) {
        fail(`"${entry}" starts at ${timeText}, not after the rate before it (at ${previous.startSeconds}s)`);
      }
    }
    steps.push({ startSeconds, bitsPerSecond });
  });
  return steps;
}

function parseRate(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(bps|kbps|mbps)$/i.exec(text);
  if (!m?.[1] || !m[2]) return undefined;
  return Math.round(Number(m[1]) * UNITS[m[2].toLowerCase() as keyof typeof UNITS]);
}

function parseSeconds(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)s$/i.exec(text);
  return m?.[1] ? Number(m[1]) : undefined;
}

/** A rate as the parser reads it: `3mbps`, `800kbps`, `1.5mbps`, `90bps`. */
export function formatRate(bitsPerSecond: number): string {
  if (bitsPerSecond >= 1e6) return `${+(bitsPerSecond / 1e6).toFixed(3)}mbps`;
  if (bitsPerSecond >= 1e3) return `${+(bitsPerSecond / 1e3).toFixed(3)}kbps`;
  return `${bitsPerSecond}bps`;
}

/** The profile in the form `parseBandwidthProfile` reads (`3mbps,800kbps@10s`). */
export function formatBandwidthProfile(profile: BandwidthProfile): string {
  return profile
    .map((s, i) =>
      i === 0 ? formatRate(s.bitsPerSecond) : `${formatRate(s.bitsPerSecond)}@${s.startSeconds}s`,
    )
    .join(',');
}

/** The rate at time `t` (seconds; before 0 counts as 0). */
export function rateAt(profile: BandwidthProfile, t: number): number {
  return profile[stepIndexAt(profile, t)]?.bitsPerSecond ?? 0;
}

function stepIndexAt(profile: BandwidthProfile, t: number): number {
  let index = 0;
  for (let i = 1; i < profile.length && (profile[i]?.startSeconds ?? Number.POSITIVE_INFINITY) <= t; i++)
    index = i;
  return index;
}

/**
 * Seconds a download of `bytes` takes when it starts at `startSeconds`, following every rate
 * change on the way. Infinity when the link stays at 0 before the download can finish.
 */
export function downloadSeconds(profile: BandwidthProfile, bytes: number, startSeconds: number): number {
  let bits = bytes * 8;
  if (bits <= 0) return 0;
  let t = startSeconds;
  for (let i = stepIndexAt(profile, startSeconds); i < profile.length; i++) {
    const rate = profile[i]?.bitsPerSecond ?? 0;
    const end = profile[i + 1]?.startSeconds ?? Number.POSITIVE_INFINITY;
    if (rate > 0 && bits <= rate * (end - t)) return t + bits / rate - startSeconds;
    bits -= rate * (end - t);
    t = end;
  }
  return Number.POSITIVE_INFINITY;
}
