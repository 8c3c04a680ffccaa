import { describe, expect, it } from 'vitest';
import { isRefusal, parseTusMetadata, quotaProblem, titleFromFilename, uploadRequest } from './contract.js';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const MiB = 1024 ** 2;
const quota = { maxBytes: 200 * MiB, perDay: 3, bytesPerDay: 300 * MiB };

describe('tus Upload-Metadata', () => {
  it('decodes base64 values in any script, a key alone meaning an empty value', () => {
    expect(parseTusMetadata(`filename ${b64('Ferien 🌊 東京.mov')},title ${b64('Größe')},empty`)).toEqual({
      filename: 'Ferien 🌊 東京.mov',
      title: 'Größe',
      empty: '',
    });
    expect(parseTusMetadata(undefined)).toEqual({});
    expect(parseTusMetadata('  ')).toEqual({});
  });

  it('refuses a malformed header rather than guessing', () => {
    expect(parseTusMetadata('title not base64!')).toBeNull();
    expect(parseTusMetadata(`title ${b64('a')},title ${b64('b')}`)).toBeNull(); // repeated key
    expect(parseTusMetadata(`title ${b64('a')} extra`)).toBeNull();
    expect(parseTusMetadata(Buffer.from([0xff, 0xfe]).toString('base64').replace(/^/, 'title '))).toBeNull();
  });
});

describe('what an upload asks for', () => {
  const meta = (m: Record<string, string>) => m;

  it('takes the title from the file name when none is given, public by default', () => {
    const r = uploadRequest(meta({ filename: 'Our Trip.final.mov' }), '1000', quota.maxBytes);
    expect(r).toEqual({
      title: 'Our Trip.final',
      filename: 'Our Trip.final.mov',
      visibility: 'public',
      genres: [],
      year: null,
      bytes: 1000,
    });
    expect(titleFromFilename('/x/y/clip')).toBe('clip');
  });

  it('normalises genres and keeps the given visibility and year', () => {
    const r = uploadRequest(
      meta({
        filename: 'a.mp4',
        title: 'Big Trip',
        visibility: 'Unlisted',
        genres: 'Drama, drama ,Travel',
        year: '2024',
      }),
      '5',
      quota.maxBytes,
    );
    expect(r).toMatchObject({ visibility: 'unlisted', genres: ['drama', 'travel'], year: 2024 });
  });

  it('refuses what cannot become a title, saying which detail is wrong', () => {
    const code = (m: Record<string, string> | null, length: string | undefined) => {
      const r = uploadRequest(m, length, quota.maxBytes);
      return isRefusal(r) ? `${r.status} ${r.code}` : 'ok';
    };
    expect(code(null, '10')).toBe('400 invalid-metadata');
    expect(code({ filename: 'a.mp4' }, undefined)).toBe('400 length-required');
    expect(code({ filename: 'a.mp4' }, '-1')).toBe('400 length-required');
    expect(code({ filename: 'a.mp4' }, '0')).toBe('400 empty-upload');
    expect(code({ filename: 'a.mp4' }, String(200 * MiB + 1))).toBe('413 upload-too-large');
    expect(code({ filename: 'a.mp4' }, String(200 * MiB))).toBe('ok');
    expect(code({ filename: '../etc/passwd' }, '10')).toBe('400 invalid-metadata');
    expect(code({ filename: 'a.mp4', visibility: 'everyone' }, '10')).toBe('400 invalid-metadata');
    expect(code({ filename: 'a.mp4', year: '99' }, '10')).toBe('400 invalid-metadata');
    expect(code({ filename: 'a.mp4', genres: 'a,b,c,d,e,f,g,h,i' }, '10')).toBe('400 invalid-metadata');
    expect(code({ filename: 'a.mp4', title: '   ' }, '10')).toBe('400 invalid-title');
  });

  it('says the size and the limit when a file is too big', () => {
    const r = uploadRequest({ filename: 'a.mp4' }, String(300 * MiB), quota.maxBytes);
    expect(isRefusal(r) && r.message).toContain('200 MiB');
  });
});

describe('the upload quota', () => {
  it('admits an upload that fits the day, refuses the one past its count or bytes', () => {
    expect(quotaProblem({ count: 2, bytes: 100 * MiB }, 200 * MiB, quota)).toBeNull();
    expect(quotaProblem({ count: 3, bytes: 0 }, 1, quota)).toMatchObject({
      status: 429,
      code: 'upload-quota',
    });
    const bytes = quotaProblem({ count: 1, bytes: 250 * MiB }, 51 * MiB, quota);
    expect(bytes).toMatchObject({ status: 429, code: 'upload-quota' });
    expect(bytes?.message).toContain('300 MiB');
  });
});
