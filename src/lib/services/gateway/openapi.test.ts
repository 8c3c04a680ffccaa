import { describe, expect, it } from 'vitest';
import { ROUTE_TABLE } from './filters/routing.js';
import { openApiDocument } from './openapi.js';

describe('the OpenAPI document', () => {
  const doc = openApiDocument({ commentChars: 500 });
  const paths = Object.keys(doc.paths);

  it('describes every route of the gateway', () => {
    for (const r of ROUTE_TABLE)
      expect(
        paths.some((p) => p === r.prefix || p.startsWith(`${r.prefix}/`)),
        r.prefix,
      ).toBe(true);
    // and nothing the gateway does not route
    for (const p of paths)
      expect(
        ROUTE_TABLE.some((r) => p === r.prefix || (r.match === 'subtree' && p.startsWith(`${r.prefix}/`))),
        p,
      ).toBe(true);
  });

  it('takes request bodies and query parameters from the schemas the services validate with', () => {
    const vote = doc.paths['/api/votes/{title}'].put.requestBody?.content['application/json']
      .schema as unknown as {
      properties: { vote: { enum: string[] } };
      required: string[];
    };
    expect(vote.properties.vote.enum).toEqual(['like', 'dislike']);
    expect(vote.required).toEqual(['vote']);
    const comment = doc.paths['/api/comments/{title}'].post.requestBody?.content['application/json']
      .schema as {
      additionalProperties: boolean;
    };
    expect(comment.additionalProperties).toBe(false);
    const search = doc.paths['/api/search'].get.parameters as Array<{ name: string; required: boolean }>;
    expect(search.map((p) => [p.name, p.required])).toEqual([
      ['q', true],
      ['genre', false],
      ['year', false],
      ['limit', false],
    ]);
  });

  it('is JSON with no token needed for itself and /api/health', () => {
    expect(JSON.parse(JSON.stringify(doc)).openapi).toBe('3.1.0');
    expect(doc.paths['/api/openapi.json'].get.security).toEqual([]);
    expect(doc.paths['/api/health'].get.security).toEqual([]);
  });
});
