import { describe, expect, it } from 'vitest';
import { type EdgeCandidate, rankEdges, type SteeringRequest } from './rank.js';

function edge(name: string, over: Partial<EdgeCandidate> = {}): EdgeCandidate {
  return { name, zone: 'z1', healthy: true, titles: ['t1'], activeConnections: 0, recentBytes: 0, ...over };
}

const request: SteeringRequest = { clientZone: 'z1', titleId: 't1' };
const names = (edges: EdgeCandidate[], req = request) => rankEdges(req, edges).map((r) => r.edge.name);

describe('rankEdges', () => {
  it('puts healthy edges first and keeps unhealthy ones at the end', () => {
    expect(names([edge('a', { healthy: false }), edge('b')])).toEqual(['b', 'a']);
  });

  it('prefers the client zone among healthy edges', () => {
    expect(names([edge('a', { zone: 'z2' }), edge('b')])).toEqual(['b', 'a']);
  });

  it('prefers an edge whose cache holds the title, even in another zone', () => {
    expect(names([edge('a', { titles: ['t2'] }), edge('b', { titles: ['t2', 't1'] })])).toEqual(['b', 'a']);
    expect(names([edge('near', { titles: [] }), edge('far', { zone: 'z2' })])).toEqual(['far', 'near']);
  });

  it('prefers the least loaded edge, by connections or by recent bytes', () => {
    const edges = [
      edge('a', { activeConnections: 5, recentBytes: 100 }),
      edge('b', { activeConnections: 2, recentBytes: 900 }),
    ];
    expect(names(edges)).toEqual(['b', 'a']);
    expect(names(edges, { ...request, loadBy: 'bytes' })).toEqual(['a', 'b']);
  });

  it('breaks full ties by name, whatever the input order', () => {
    expect(names([edge('c'), edge('a'), edge('b')])).toEqual(['a', 'b', 'c']);
    expect(names([edge('b'), edge('c'), edge('a')])).toEqual(['a', 'b', 'c']);
  });

  it('applies the rules in precedence order: health > title > zone > load > name', () => {
    const edges = [
      edge('unhealthy-local-cached-idle', { healthy: false }),
      edge('remote-cached-idle', { zone: 'z2' }),
      edge('local-uncached-idle', { titles: [] }),
      edge('local-cached-busy', { activeConnections: 9 }),
      edge('local-cached-idle-b'),
      edge('local-cached-idle-a'),
    ];
    expect(names(edges)).toEqual([
      'local-cached-idle-a',
      'local-cached-idle-b',
      'local-cached-busy',
      'remote-cached-idle',
      'local-uncached-idle',
      'unhealthy-local-cached-idle',
    ]);
  });

  it('gives each edge a rank and the reason for it', () => {
    const ranked = rankEdges(request, [
      edge('a', { zone: 'z2', titles: [], activeConnections: 3 }),
      edge('b', { healthy: false, recentBytes: 7 }),
    ]);
    expect(
      ranked.map(({ rank, reason, sameZone, holdsTitle, load }) => ({
        rank,
        reason,
        sameZone,
        holdsTitle,
        load,
      })),
    ).toEqual([
      {
        rank: 1,
        reason: 'healthy; lacks t1; other zone (z2); 3 connections',
        sameZone: false,
        holdsTitle: false,
        load: 3,
      },
      {
        rank: 2,
        reason: 'unhealthy; holds t1; same zone (z1); 0 connections',
        sameZone: true,
        holdsTitle: true,
        load: 0,
      },
    ]);
    expect(rankEdges({ ...request, loadBy: 'bytes' }, [edge('b', { recentBytes: 7 })])[0]?.reason).toBe(
      'healthy; holds t1; same zone (z1); 7 recent bytes',
    );
  });

  it('returns an empty list for no edges', () => {
    expect(rankEdges(request, [])).toEqual([]);
  });
});
