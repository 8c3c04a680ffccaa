import { Args, Flags } from '@oclif/core';
import { FlixCommand, nameFlag } from '../lib/core/command.js';
import { FlixError } from '../lib/core/errors.js';
import { titleOfShareLink, viewerOf } from '../lib/ops/viewer.js';
import { parseBandwidthProfile } from '../lib/player/abr/bandwidth.js';
import { playSession } from '../lib/player/client/session.js';
import { parseMediaDuration } from '../lib/player/client/throttle.js';
import { progressLine, summaryLines } from '../lib/player/view.js';

export default class Play extends FlixCommand {
  static override summary = 'Play a title like a real adaptive-bitrate player (HLS, or DASH with --dash)';
  static override description =
    'Asks the API (through the ELB) to play the title, then downloads real segments from the edges the answer ranks: the master playlist or MPD, the video segments at the rendition the ABR logic chooses (a throughput EWMA and the buffer level) and the audio track. The --bandwidth profile throttles every download: it takes the longer of its real time and bytes x 8 / rate. A connect error, a 2 s timeout or a 5xx from an edge retries the object on the next edge and playback stays there. A heartbeat goes to the API every 10 s of media played and at the end. Starts at the bookmark unless --from-start. Progress goes to stderr, the report to stdout (or --json).\n\nExit codes: 0 played, 2 bad flags, no/invalid token (401) or a forged share link, 7 cluster not running, 8 every edge failed for a segment or the API failed (5xx, 429), 12 the API refused the request as invalid, 13 not licensed in your region (451) or an expired share link, 15 no such title.';

  static override examples = [
    '<%= config.bin %> play "Big Trip" --user alice',
    '<%= config.bin %> play "Big Trip" --user alice --bandwidth 3mbps,800kbps@10s,6mbps@20s --duration 30s --speed 10',
    '<%= config.bin %> play "Big Trip" --user alice --dash --from-start --json',
    '<%= config.bin %> play "Big Trip" --user alice --device phone   # resumes where alice stopped on the tv',
    '<%= config.bin %> play big-trip-3fa9c2 --token "$TOKEN" --name demo',
    '<%= config.bin %> play --link http://127.0.0.1:8080/api/shares/eyJ...abc --user bob',
  ];

  static override args = { title: Args.string({ description: 'title name or id (or --link)' }) };

  static override flags = {
    name: nameFlag,
    user: Flags.string({
      char: 'u',
      description: 'play as this user (its token file from `flix users create`)',
    }),
    token: Flags.string({ description: 'API token (default: the --user token file)' }),
    link: Flags.string({ description: 'play the title of a share link (`flix share`)', helpValue: 'URL' }),
    bandwidth: Flags.string({
      char: 'b',
      description: 'link rate over media time: rates in bps/kbps/mbps, each but the first @<seconds>s',
      default: '100mbps',
      helpValue: '3mbps,800kbps@10s',
    }),
    duration: Flags.string({
      char: 'd',
      description: 'media time to play, like 30s or 2m [default: to the end of the title]',
      helpValue: '30s',
    }),
    speed: Flags.string({ description: 'run time this many times faster than the wall clock', default: '1' }),
    dash: Flags.boolean({ description: 'play the DASH manifest instead of HLS' }),
    device: Flags.string({
      description: 'the device this play is on (history shows it; any other device resumes from here)',
      default: 'cli',
      helpValue: 'phone',
    }),
    'from-start': Flags.boolean({ description: 'start at 0, not at the bookmark' }),
    'edge-timeout': Flags.integer({
      description: 'wall ms without an answer or body bytes before an edge counts as failed',
      default: 2000,
      min: 50,
    }),
  };

  async run() {
    const { args, flags } = await this.parse(Play);
    const profile = parseBandwidthProfile(flags.bandwidth);
    const playSeconds = flags.duration === undefined ? undefined : parseMediaDuration(flags.duration);
    const speed = Number(flags.speed);
    if (!(speed > 0 && speed <= 1000)) {
      throw new FlixError(`--speed ${flags.speed} is not a number from above 0 to 1000`, {
        code: 'usage',
        nextStep: 'use --speed 10 to play ten times faster than real time',
      });
    }
    if (!flags.token && !flags.user) {
      throw new FlixError('say who plays: --user <user> (or --token)', {
        code: 'usage',
        nextStep:
          '`flix users create alice` makes a user and keeps its token; then `flix play "Big Trip" --user alice`',
      });
    }
    if (!args.title === !flags.link) {
      throw new FlixError('say what to play: a title, or --link with a share link (not both)', {
        code: 'usage',
        nextStep: '`flix play "Big Trip" --user alice`, or `flix play --link URL --user bob`',
      });
    }
    const viewer = await viewerOf(flags);
    const { api, token } = viewer;
    const cluster = viewer.cluster as string;
    const title = flags.link ? (await titleOfShareLink(viewer, flags.link)).titleId : (args.title as string);
    const result = await playSession(
      {
        api,
        token,
        title,
        protocol: flags.dash ? 'dash' : 'hls',
        profile,
        speed,
        playSeconds,
        fromStart: flags['from-start'],
        edgeTimeoutMs: flags['edge-timeout'],
        user: flags.user,
        device: flags.device,
        cluster,
      },
      {
        signal: this.signal,
        onEvent: (e) => {
          const line = progressLine(e);
          if (line) process.stderr.write(`${line}\n`);
        },
      },
    );
    if (!this.jsonEnabled()) this.log(summaryLines(result).join('\n'));
    return result;
  }
}
