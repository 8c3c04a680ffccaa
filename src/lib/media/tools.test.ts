import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mediaPath, resolveTools } from './tools.js';

describe('tools', () => {
  it('makes file paths absolute so ffmpeg takes no name for a protocol or an option, and keeps URLs', () => {
    expect(mediaPath('clip:1.mp4')).toBe(join(process.cwd(), 'clip:1.mp4'));
    expect(mediaPath('-x.mp4')).toBe(join(process.cwd(), '-x.mp4'));
    expect(mediaPath('/a/b c.mp4')).toBe('/a/b c.mp4');
    expect(mediaPath('http://127.0.0.1:9000/b/k.mp4?X-Amz=1')).toBe('http://127.0.0.1:9000/b/k.mp4?X-Amz=1');
  });

  it('finds ffmpeg and ffprobe on PATH unless overridden (argument, then environment)', () => {
    expect(resolveTools({}, {})).toEqual({ ffmpeg: 'ffmpeg', ffprobe: 'ffprobe' });
    expect(resolveTools({}, { FLIX_FFMPEG: '/opt/ff/ffmpeg' }).ffmpeg).toBe('/opt/ff/ffmpeg');
    expect(resolveTools({ ffprobe: '/x/ffprobe' }, { FLIX_FFPROBE: '/y/ffprobe' }).ffprobe).toBe(
      '/x/ffprobe',
    );
  });
});
