/**
 * Ranks CDN edges for one client the way Open Connect steering does: the best edge is healthy,
 * already holds the title (a farther edge that has it beats a near one that would fetch it from
 * the origin), is in the client's zone, and is the least loaded. Pure: the caller
 * supplies the edges' health, cached titles and load from wherever it gathered them.
 */

/** What steering knows about one edge. */
export interface EdgeCandidate {
  name: string;
  zone: string;
  healthy: boolean;
  /** titles whose files the edge's cache holds */
  titles: readonly string[];
  activeConnections: number;
  /** bytes served over the recent window */
  recentBytes: number;
}

export interface SteeringRequest {
  clientZone: string;
  titleId: string;
  /** Which load figure breaks ties after health, zone and title. Default 'connections'. */
  loadBy?: 'connections' | 'bytes';
}

export interface RankedEdge {
  /** 1 for the edge to send the client to. */
  rank: number;
  edge: EdgeCandidate;
  healthy: boolean;
  sameZone: boolean;
  holdsTitle: boolean;
  /** The load figure compared (connections or bytes, per the request). */
  load: number;
  /** Every criterion in precedence order, e.g. "healthy; holds t1; same zone (z1); 3 connections". */
  reason: string;
}

/**
 * Orders every edge, best first, unhealthy edges last rather than dropped so status output can
 * show them. Precedence: healthy, then holds the title, then same zone as the client, then least
 * load, then name (so equal edges always come out in the same order).
 */
export function rankEdges(request: SteeringRequest, edges: readonly EdgeCandidate[]): RankedEdge[] {
  const loadBy = request.loadBy ?? 'connections';
  const scored = edges.map((edge) => {
    const healthy = edge.healthy;
    const sameZone = edge.zone === request.clientZone;
    const holdsTitle = edge.titles.includes(request.titleId);
    const load = loadBy === 'connections' ? edge.activeConnections : edge.recentBytes;
    const reason = [
      healthy ? 'healthy' : 'unhealthy',
      holdsTitle ? `holds ${request.titleId}` : `lacks ${request.titleId}`,
      sameZone ? `same zone (${edge.zone})` : `other zone (${edge.zone})`,
      loadBy === 'connections' ? `${load} connections` : `${load} recent bytes`,
    ].join('; ');
    return { edge, healthy, sameZone, holdsTitle, load, reason };
  });
  scored.sort(
    (a, b) =>
      Number(b.healthy) - Number(a.healthy) ||
      Number(b.holdsTitle) - Number(a.holdsTitle) ||
      Number(b.sameZone) - Number(a.sameZone) ||
      a.load - b.load ||
      compareNames(a.edge.name, b.edge.name),
  );
  return scored.map((s, i) => ({ rank: i + 1, ...s }));
}

/** Code-unit order, not locale order, so the result does not depend on the machine's locale. */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
