import { describe, expect, it } from 'vitest';
import { renderComments, renderSearch, terminalSafe } from './engage-view.js';

describe('engagement views', () => {
  it('show what viewers wrote without letting it drive the terminal', () => {
    expect(terminalSafe('red\u001b[31m bell\u0007 \u202eevil')).toBe(
      'red\\u{1b}[31m bell\\u{7} \\u{202e}evil',
    );
    expect(terminalSafe('東京 🎬\nline')).toBe('東京 🎬\nline');
  });

  it('render comments indented, with the next cursor', () => {
    const text = renderComments(
      {
        titleId: 't',
        comments: [
          {
            id: 'c1',
            titleId: 't',
            userId: 'alice',
            text: 'one\ntwo',
            createdAt: '2026-12-02T10:00:00.000Z',
          },
        ],
        next: 'abc',
      },
      'Big Trip',
    );
    expect(text).toBe('alice · 2026-12-02 10:00:00 · c1\n  one\n  two\n\nmore: --cursor abc');
  });

  it('say when a search answer is degraded', () => {
    const text = renderSearch({ query: 'x', hits: [], degraded: true, reason: 'elasticsearch: timeout' });
    expect(text).toMatch(/^degraded: elasticsearch: timeout/);
    expect(text).toMatch(/no titles match "x"/);
  });
});
