import { z } from 'zod';
import { deviceName } from '../history/contract.js';

/**
 * The playback service's messages: what a player sends to start a play and while it plays, and
 * the answer it gets. `flix play`, the load generator and the web player all speak these.
 */

export const playRequestSchema = z.strictObject({
  title: z.string().min(1).max(255),
  protocol: z.enum(['hls', 'dash']).default('hls'),
  zone: z
    .string()
    .regex(/^[a-z][a-z0-9]{0,7}$/)
    .optional(),
  /** the device the play is on (history shows it) */
  device: deviceName.optional(),
});
export type PlayRequest = z.input<typeof playRequestSchema>;

/** `POST /api/shares`: a link to a title, valid for up to 30 days (a week by default). */
export const shareRequestSchema = z.strictObject({
  title: z.string().min(1).max(255),
  expiresInSeconds: z
    .number()
    .int()
    .min(60)
    .max(30 * 86_400)
    .default(7 * 86_400),
});

export const heartbeatSchema = z.strictObject({
  position: z.number().min(0).max(1e7),
  rendition: z.string().max(32).optional(),
  edge: z.string().max(64).optional(),
  bufferSeconds: z.number().min(0).max(1e5).optional(),
  /** the client's time of the heartbeat, ms since the epoch (the newest wins across devices) */
  sentAt: z.number().int().min(0).optional(),
  device: deviceName.optional(),
});
export type Heartbeat = z.infer<typeof heartbeatSchema>;

/** One edge of a play answer: where to fetch the manifests, in steering's rank order. */
export interface PlayAnswerEdge {
  name: string;
  zone: string;
  rank: number;
  /** why steering ranked it there */
  reason: string;
  /** signed manifest URLs */
  hls: string;
  dash: string;
}

/** The answer of `POST /api/play`. */
export interface PlayAnswer {
  playId: string;
  traceId: string;
  protocol: 'hls' | 'dash';
  title: { id: string; title: string; durationSeconds: number };
  /** where to start (the bookmark), seconds */
  position: number;
  /** when the signed URLs stop working, unix seconds */
  expiresAt: number;
  edges: PlayAnswerEdge[];
  /** the plan the play is under: the renditions offered and the streams allowed */
  plan: { id: string; maxHeight: number; maxStreams: number };
  /** the dependencies that failed and were done without (`users`, `bookmarks`, `steering`) */
  degraded: string[];
}

/** The share token of a link (`…/api/shares/<token>`), or the token itself. */
export function shareTokenOf(link: string): string {
  const m = /\/api\/shares\/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)\/?$/.exec(link.trim());
  return m ? (m[1] as string) : link.trim();
}
