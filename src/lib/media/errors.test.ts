import { describe, expect, it } from 'vitest';
import { formatCommand, lastLines, MediaError, MediaToolError } from './errors.js';

describe('errors', () => {
  it('MediaError says what is wrong and what to do, with a reason', () => {
    const e = new MediaError('empty-file', '"a.mp4" is empty (0 bytes).', {
      file: '/a.mp4',
      nextStep: 'Upload it again.',
    });
    expect(e.message).toBe('"a.mp4" is empty (0 bytes). Upload it again.');
    expect(e.toJSON()).toMatchObject({ reason: 'empty-file', file: '/a.mp4' });
  });

  it('MediaToolError records the command, quoted, and the last stderr lines', () => {
    const stderr = Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n');
    const e = new MediaToolError({
      what: 'encoding chunk 3 of 720p',
      tool: 'ffmpeg',
      args: ['-i', '/in/Big Trip — café.mov', '-vf', 'scale=2:2'],
      exitCode: 1,
      stderr,
    });
    expect(e.command).toBe("ffmpeg -i '/in/Big Trip — café.mov' -vf scale=2:2");
    expect(e.stderrTail).toHaveLength(15);
    expect(e.stderrTail.at(-1)).toBe('line 29');
    expect(e.message.split('\n')[0]).toBe(
      "encoding chunk 3 of 720p failed (exit 1): ffmpeg -i '/in/Big Trip — café.mov' -vf scale=2:2",
    );
  });

  it('lastLines treats carriage returns (ffmpeg progress) as line breaks', () => {
    expect(lastLines('a\rb\r\nc\n\n', 2)).toEqual(['b', 'c']);
    expect(formatCommand('ffprobe', ["it's"])).toBe("ffprobe 'it'\\''s'");
  });
});
