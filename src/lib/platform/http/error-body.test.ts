import { describe, expect, it } from 'vitest';
import { errorBody, readErrorBody } from './error-body.js';

describe('the JSON error body', () => {
  it('keeps status, code and message over extra fields of the same name', () => {
    expect(errorBody(404, 'unknown-title', 'no title x', { code: 'other', title: 'x' })).toEqual({
      error: { title: 'x', status: 404, code: 'unknown-title', message: 'no title x' },
    });
  });

  it('reads what it writes, from an object, a string or a buffer', () => {
    const body = errorBody(429, 'rate-limited', 'slow down', { retryAfterSeconds: 2 });
    for (const form of [body, JSON.stringify(body), Buffer.from(JSON.stringify(body))]) {
      expect(readErrorBody(form)).toEqual(body.error);
    }
  });

  it('is null for anything that is not an error body', () => {
    for (const x of [undefined, null, '', 'oops', '<html>', 42, { ok: true }, { error: 'text' }]) {
      expect(readErrorBody(x)).toBeNull();
    }
  });

  it('fills what a partial error body lacks', () => {
    expect(readErrorBody({ error: { message: 'boom' } })).toEqual({
      status: 0,
      code: 'unknown',
      message: 'boom',
    });
  });
});
