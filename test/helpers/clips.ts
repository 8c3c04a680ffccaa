import { execFileSync } from 'node:child_process';

/** A synthetic clip with picture and sound (testsrc2 + sine) made with ffmpeg. */
export function synthClip(file: string, o: { size: string; seconds: number; codecs: string[] }): void {
  const lavfi = (src: string) => ['-f', 'lavfi', '-i', `${src}:duration=${o.seconds}`];
  execFileSync('ffmpeg', [
    ...['-v', 'error', '-y'],
    ...lavfi(`testsrc2=size=${o.size}:rate=30`),
    ...lavfi('sine=frequency=440'),
    ...o.codecs,
    '-shortest',
    file,
  ]);
}
