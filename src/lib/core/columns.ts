/**
 * Terminal columns of text that may hold any Unicode (titles, user names, cluster names): a wide
 * glyph or an emoji takes two, a combining mark none, so tables line up and never wrap.
 */

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** East Asian Wide and Fullwidth blocks: two terminal columns each. */
const wideRanges: [number, number][] = [
  [0x1100, 0x115f],
  [0x231a, 0x231b],
  [0x2329, 0x232a],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x16fe0, 0x16fe4],
  [0x17000, 0x18cff],
  [0x1b000, 0x1b2ff],
  [0x1f300, 0x1f64f],
  [0x1f900, 0x1f9ff],
  [0x20000, 0x3fffd],
];

/** Columns one grapheme takes: 0 for marks and format characters alone, 2 for wide glyphs and emoji. */
export function graphemeWidth(g: string): number {
  if (/\p{Emoji_Presentation}/u.test(g) || (g.includes('\ufe0f') && /\p{Emoji}/u.test(g))) return 2;
  for (const c of g) {
    if (/[\p{Mn}\p{Me}\p{Cf}\p{Cc}]/u.test(c)) continue;
    const cp = c.codePointAt(0) ?? 0;
    return wideRanges.some(([lo, hi]) => cp >= lo && cp <= hi) ? 2 : 1;
  }
  return 0;
}

/** Terminal columns of a string (box and block characters count one, as most terminals draw them). */
export function columns(text: string): number {
  let w = 0;
  for (const { segment } of segmenter.segment(text)) w += graphemeWidth(segment);
  return w;
}

/** Cuts text to at most `width` columns, whole graphemes only, '…' where it was cut. */
export function cut(text: string, width: number): string {
  if (columns(text) <= width) return text;
  if (width <= 0) return '';
  let out = '';
  let w = 0;
  for (const { segment } of segmenter.segment(text)) {
    const g = graphemeWidth(segment);
    if (w + g > width - 1) break;
    out += segment;
    w += g;
  }
  return `${out}…`;
}

/** Exactly `width` columns: cut, or padded with spaces. */
export const padTo = (text: string, width: number) => {
  const c = cut(text, width);
  return c + ' '.repeat(Math.max(0, width - columns(c)));
};
