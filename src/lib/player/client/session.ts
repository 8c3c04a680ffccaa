/**
 * One `flix play`: ask the API to play a title, then play it from the edges the answer ranks, with
 * heartbeats to the API. Everything with a side effect can be passed in.
 */
import type { BandwidthProfile, PlayerOptions } from '../abr/index.js';
import { endPlay, type PlayAnswer, playEdges, requestPlay, sendHeartbeat } from './api.js';
import { EdgeFetcher } from './fetcher.js';
import { type PlayerEvent, type PlayResult, playTitle } from './player.js';

export interface PlaySessionInput {
  /** The public API base (the ELB). */
  api: string;
  token: string;
  title: string;
  protocol: 'hls' | 'dash';
  profile: BandwidthProfile;
  speed?: number;
  /** Seconds of media to play; default to the end. */
  playSeconds?: number;
  /** Start at 0 instead of the bookmark the play answer carries. */
  fromStart?: boolean;
  /** Per request to an edge, wall ms. Default 2000. */
  edgeTimeoutMs?: number;
  player?: Partial<Omit<PlayerOptions, 'playSeconds'>>;
  /** The device the play is on (history shows it; another device resumes where this one stopped). */
  device?: string;
  /** For the error messages: who plays, on which cluster. */
  user?: string;
  cluster?: string;
}

export interface PlaySessionResult extends PlayResult {
  title: string;
  titleId: string;
  playId: string;
  traceId: string;
  bookmarkSeconds: number;
  /** The edges the answer ranked, in order. */
  rankedEdges: Array<{ name: string; zone: string; rank: number; reason: string }>;
}

export async function playSession(
  input: PlaySessionInput,
  deps: {
    onEvent?: (e: PlayerEvent | { kind: 'play'; answer: PlayAnswer }) => void;
    signal?: AbortSignal;
  } = {},
): Promise<PlaySessionResult> {
  const { answer, sentAtMs } = await requestPlay(
    input.api,
    input.token,
    { title: input.title, protocol: input.protocol, ...(input.device ? { device: input.device } : {}) },
    { user: input.user, cluster: input.cluster },
  );
  deps.onEvent?.({ kind: 'play', answer });
  const fetcher = new EdgeFetcher(playEdges(answer, input.protocol), {
    timeoutMs: input.edgeTimeoutMs,
    signal: deps.signal,
    onFailover: (event) => deps.onEvent?.({ kind: 'failover', event }),
  });
  const result = await playTitle(
    {
      protocol: input.protocol,
      profile: input.profile,
      speed: input.speed,
      playSeconds: input.playSeconds,
      startPosition: input.fromStart ? 0 : answer.position,
      player: input.player,
      requestSentAtMs: sentAtMs,
    },
    {
      fetcher,
      // each heartbeat carries this machine's time: the newest position wins across devices
      heartbeat: (hb) =>
        sendHeartbeat(input.api, input.token, answer.playId, {
          ...hb,
          sentAt: Date.now(),
          device: input.device,
        }),
      onEvent: deps.onEvent,
      signal: deps.signal,
    },
  ).finally(() => endPlay(input.api, input.token, answer.playId).catch(() => {}));
  return {
    title: answer.title?.title ?? input.title,
    titleId: answer.title?.id ?? '',
    playId: answer.playId,
    traceId: answer.traceId,
    bookmarkSeconds: answer.position,
    rankedEdges: answer.edges.map((e) => ({ name: e.name, zone: e.zone, rank: e.rank, reason: e.reason })),
    ...result,
  };
}
