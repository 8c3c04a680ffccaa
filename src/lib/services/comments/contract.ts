import { z } from 'zod';

/**
 * The comments service's messages: a new comment, a page of comments and its cursor. A comment is
 * stored exactly as written (any script, emoji, line breaks); whoever shows it escapes it.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters other than line breaks and tabs are refused
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The body of `POST /v1/comments/:title`, for a limit of `maxChars` characters. */
export function newCommentBody(maxChars: number) {
  return z.strictObject({
    text: z
      .string()
      .refine((s) => s.trim().length > 0, 'a comment needs some text')
      .refine((s) => !LONE_SURROGATE.test(s), 'the comment is not valid Unicode')
      .refine(
        (s) => !CONTROL.test(s),
        'a comment cannot hold control characters (line breaks and tabs are fine)',
      )
      .refine((s) => [...s].length <= maxChars, `a comment has at most ${maxChars} characters`),
  });
}

export const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

export interface CommentView {
  id: string;
  titleId: string;
  userId: string;
  text: string;
  createdAt: string;
}

export interface CommentPage {
  titleId: string;
  comments: CommentView[];
  /** pass as `cursor` for the next (older) page; null on the last page */
  next: string | null;
}

/** Where a page ends: the day partition and the last comment id shown. */
export interface Cursor {
  day: string;
  after: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.day, c.after])).toString('base64url');
}

/** The cursor a page handed out, or null when `text` is not one. Pure. */
export function decodeCursor(text: string): Cursor | null {
  try {
    const v = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (
      Array.isArray(v) &&
      v.length === 2 &&
      typeof v[0] === 'string' &&
      /^\d{4}-\d{2}-\d{2}$/.test(v[0]) &&
      typeof v[1] === 'string' &&
      /^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(v[1])
    )
      return { day: v[0], after: v[1] };
  } catch {
    // not base64url JSON
  }
  return null;
}

/** The partition a comment made at `at` belongs to (UTC day): a hot title spreads over one a day. */
export function dayOf(at: Date): string {
  return at.toISOString().slice(0, 10);
}
