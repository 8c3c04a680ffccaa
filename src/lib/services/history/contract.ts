import { z } from 'zod';

/**
 * The history service's messages: a viewing event (a heartbeat as the playback service puts it on
 * Kafka), an entry of a user's viewing history, and how live and compressed history merge.
 */

/** One heartbeat of a play: where the user is in a title, by the client's clock. */
export interface ViewingEvent {
  userId: string;
  titleId: string;
  position: number;
  /** the client's event time, ms since the epoch: the newest wins, whenever it arrives */
  at: number;
  device: string;
  playId: string;
}

export const viewingEvent = z.strictObject({
  userId: z.string().min(1).max(64),
  titleId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  position: z.number().min(0).max(1e7),
  at: z.number().int().min(0),
  device: z.string().min(1).max(32),
  playId: z.string().min(1).max(64),
});

/** A heartbeat as it comes off Kafka: the event, or null when the bytes are not one. */
export function parseViewingEvent(text: string | undefined): ViewingEvent | null {
  if (text === undefined) return null;
  try {
    const parsed = viewingEvent.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export interface HistoryEntry {
  titleId: string;
  position: number;
  device: string;
  /** ISO time of the event */
  at: string;
}

export interface HistoryAnswer {
  userId: string;
  /** recent history, one row per title (newest first) */
  live: HistoryEntry[];
  /** older history, kept as one compressed row per user (newest first) */
  compressed: HistoryEntry[];
}

/** Devices are short names a user tells apart: `tv`, `phone`, `laptop-2`. */
export const deviceName = z
  .string()
  .regex(/^[\p{L}\p{N}][\p{L}\p{N}._-]{0,31}$/u, 'a device is a short name like tv, phone or laptop-2');

/**
 * A user's position in each title from live and compressed history: the newest event wins (a row
 * can be in both while it is being moved). Newest first. Pure.
 */
export function latestByTitle(...lists: HistoryEntry[][]): HistoryEntry[] {
  const best = new Map<string, HistoryEntry>();
  for (const list of lists)
    for (const e of list) {
      const seen = best.get(e.titleId);
      if (!seen || e.at > seen.at) best.set(e.titleId, e);
    }
  return [...best.values()].sort((a, b) => b.at.localeCompare(a.at));
}
