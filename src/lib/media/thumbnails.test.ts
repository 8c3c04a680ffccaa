import { describe, expect, it } from 'vitest';
import { defaultSpriteInterval, spriteLayout, spriteVtt, vttTime } from './thumbnails.js';

describe('spriteVtt', () => {
  it('points one cue per interval at its tile, row-major', () => {
    const vtt = spriteVtt({
      tiles: 5,
      intervalSeconds: 2,
      durationSeconds: 9.5,
      tileWidth: 160,
      tileHeight: 90,
      columns: 3,
      rows: 2,
      sheets: ['sprite.jpg'],
    });
    expect(vtt).toBe(
      [
        'WEBVTT',
        '',
        '00:00:00.000 --> 00:00:02.000',
        'sprite.jpg#xywh=0,0,160,90',
        '',
        '00:00:02.000 --> 00:00:04.000',
        'sprite.jpg#xywh=160,0,160,90',
        '',
        '00:00:04.000 --> 00:00:06.000',
        'sprite.jpg#xywh=320,0,160,90',
        '',
        '00:00:06.000 --> 00:00:08.000',
        'sprite.jpg#xywh=0,90,160,90',
        '',
        '00:00:08.000 --> 00:00:09.500',
        'sprite.jpg#xywh=160,90,160,90',
        '',
      ].join('\n'),
    );
  });

  it('moves to the next sheet when one is full', () => {
    const vtt = spriteVtt({
      tiles: 5,
      intervalSeconds: 10,
      durationSeconds: 50,
      tileWidth: 100,
      tileHeight: 56,
      columns: 2,
      rows: 2,
      sheets: ['s-001.jpg', 's-002.jpg'],
    });
    const targets = vtt.split('\n').filter((l) => l.includes('#xywh'));
    expect(targets).toEqual([
      's-001.jpg#xywh=0,0,100,56',
      's-001.jpg#xywh=100,0,100,56',
      's-001.jpg#xywh=0,56,100,56',
      's-001.jpg#xywh=100,56,100,56',
      's-002.jpg#xywh=0,0,100,56',
    ]);
  });

  it('fails loudly when a tile has no sheet', () => {
    expect(() =>
      spriteVtt({
        tiles: 3,
        intervalSeconds: 1,
        durationSeconds: 3,
        tileWidth: 10,
        tileHeight: 10,
        columns: 1,
        rows: 1,
        sheets: ['a.jpg'],
      }),
    ).toThrow(/tile 1 has no sheet/);
  });
});

describe('spriteLayout', () => {
  it('trims a single sheet to its tiles', () => {
    expect(spriteLayout(6, 10, 10)).toEqual({ columns: 6, rows: 1, sheets: 1 });
    expect(spriteLayout(23, 10, 10)).toEqual({ columns: 10, rows: 3, sheets: 1 });
  });
  it('uses full grids across several sheets', () => {
    expect(spriteLayout(250, 10, 10)).toEqual({ columns: 10, rows: 10, sheets: 3 });
  });
});

describe('vttTime', () => {
  it('formats hours, minutes, seconds and milliseconds', () => {
    expect(vttTime(0)).toBe('00:00:00.000');
    expect(vttTime(3723.4567)).toBe('01:02:03.457');
    expect(vttTime(59.9996)).toBe('00:01:00.000');
  });
});

describe('defaultSpriteInterval', () => {
  it('is 1 s per minute of title, within 1–10 s', () => {
    expect(defaultSpriteInterval(6)).toBe(1);
    expect(defaultSpriteInterval(300)).toBe(5);
    expect(defaultSpriteInterval(7200)).toBe(10);
  });
});
