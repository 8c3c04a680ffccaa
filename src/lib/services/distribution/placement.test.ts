import { describe, expect, it } from 'vitest';
import {
  demand,
  fillOrder,
  type PlacementEdge,
  type PlacementTitle,
  placeTitles,
  scheduledRunDue,
  windowOpenedAt,
} from './placement.js';

const HOUR = 3_600_000;
const now = Date.UTC(2026, 11, 2, 12);
const opts = { now, newTitleMs: 24 * HOUR, zones: ['a', 'b'] };
const edge = (name: string, zone: string, budgetBytes: number, regions: string[] = ['*']): PlacementEdge => ({
  name,
  zone,
  budgetBytes,
  regions,
});
const title = (id: string, o: Partial<PlacementTitle> = {}): PlacementTitle => ({
  id,
  bytes: 100,
  regions: ['*'],
  publishedAt: now - 30 * 24 * HOUR,
  plays: {},
  ...o,
});

describe('placeTitles', () => {
  it('fills an edge with the most wanted titles in its zone until its budget is spent', () => {
    const titles = [
      title('t1', { plays: { a: 1 } }),
      title('t2', { plays: { a: 50 } }),
      title('t3', { plays: { a: 10 } }),
    ];
    const p = placeTitles(titles, [edge('edge-a', 'a', 200)], opts);
    expect(p.edges[0]?.titles).toEqual(['t2', 't3']);
    expect(p.edges[0]?.bytes).toBe(200);
    expect(p.tiers).toEqual({ t1: 'origin', t2: 'hot', t3: 'hot' });
    expect(p.edges[0]?.predictedHitRatio).toBeCloseTo(60 / 61, 3);
  });

  it('puts new titles first, newest first, whatever their plays', () => {
    const titles = [
      title('old', { plays: { a: 1000 } }),
      title('new1', { publishedAt: now - 2 * HOUR }),
      title('new2', { publishedAt: now - HOUR }),
    ];
    const p = placeTitles(titles, [edge('edge-a', 'a', 200)], opts);
    expect(p.edges[0]?.titles).toEqual(['new2', 'new1']);
    expect(p.tiers.old).toBe('origin');
  });

  it('weighs plays in the zone above plays elsewhere', () => {
    const local = title('local', { plays: { a: 10 } });
    const far = title('far', { plays: { b: 15 } });
    expect(demand(far, 'a', 2)).toBe(7.5);
    const p = placeTitles([local, far], [edge('edge-a', 'a', 100), edge('edge-b', 'b', 100)], opts);
    expect(p.edges.map((e) => e.titles)).toEqual([['local'], ['far']]);
    expect(p.tiers).toEqual({ local: 'warm', far: 'warm' });
  });

  it('skips a title too big for what is left and still places smaller ones', () => {
    const titles = [
      title('big', { bytes: 150, plays: { a: 9 } }),
      title('mid', { bytes: 100, plays: { a: 10 } }),
      title('small', { bytes: 50, plays: { a: 1 } }),
    ];
    const p = placeTitles(titles, [edge('edge-a', 'a', 160)], opts);
    expect(p.edges[0]?.titles).toEqual(['mid', 'small']);
  });

  it('places a title only on edges whose zone serves a region it is licensed in', () => {
    const titles = [title('jp', { regions: ['JP'] }), title('world')];
    const edges = [edge('edge-a', 'a', 1000, ['US', 'CA']), edge('edge-b', 'b', 1000, ['JP'])];
    const p = placeTitles(titles, edges, opts);
    expect(p.edges.map((e) => e.titles)).toEqual([['world'], ['jp', 'world']]);
    // hot: on every edge it may be on
    expect(p.tiers).toEqual({ jp: 'hot', world: 'hot' });
  });

  it('has no hit ratio to predict before any play', () => {
    const p = placeTitles([title('t1')], [edge('edge-a', 'a', 1000)], opts);
    expect(p.edges[0]?.predictedHitRatio).toBeNull();
  });
});

describe('fillOrder', () => {
  it('pushes manifests, then init segments, then audio, then video from the lowest rung up', () => {
    const keys = [
      'titles/t/video/720p/seg-00001.m4s',
      'titles/t/poster.jpg',
      'titles/t/video/240p/seg-00001.m4s',
      'titles/t/audio/stereo/seg-00001.m4s',
      'titles/t/video/720p/init.mp4',
      'titles/t/master.m3u8',
      'titles/t/video/240p/index.m3u8',
    ];
    expect(fillOrder(keys.map((key) => ({ key }))).map((o) => o.key)).toEqual([
      'titles/t/master.m3u8',
      'titles/t/video/240p/index.m3u8',
      'titles/t/video/720p/init.mp4',
      'titles/t/audio/stereo/seg-00001.m4s',
      'titles/t/video/240p/seg-00001.m4s',
      'titles/t/video/720p/seg-00001.m4s',
      'titles/t/poster.jpg',
    ]);
  });
});

describe('the nightly window', () => {
  const window = { start: '23:00', hours: 4 };
  const at = (day: number, h: number, m = 0) => new Date(2026, 11, day, h, m);

  it('is open from its start for its hours, past midnight too', () => {
    expect(windowOpenedAt(at(2, 23, 30), window)).toEqual(at(2, 23));
    expect(windowOpenedAt(at(3, 2, 59), window)).toEqual(at(2, 23));
    expect(windowOpenedAt(at(3, 3, 0), window)).toBeNull();
    expect(windowOpenedAt(at(2, 22, 59), window)).toBeNull();
  });

  it('runs once per window', () => {
    expect(scheduledRunDue(at(3, 1), window, null)).toBe(true);
    expect(scheduledRunDue(at(3, 1), window, at(2, 23, 5).getTime())).toBe(false);
    expect(scheduledRunDue(at(3, 23, 1), window, at(2, 23, 5).getTime())).toBe(true);
    expect(scheduledRunDue(at(3, 12), window, null)).toBe(false);
  });

  it('refuses a start that is not HH:MM', () => {
    expect(() => windowOpenedAt(at(2, 1), { start: '25:00', hours: 1 })).toThrow(/HH:MM/);
  });
});
