import { type ZodType, z } from 'zod';
import { listQuery, newCommentBody } from '../comments/contract.js';
import { heartbeatSchema, playRequestSchema, shareRequestSchema } from '../playback/contract.js';
import { searchQuery } from '../search/contract.js';
import { voteBody } from '../stats/contract.js';
import { createToken } from '../users/contract.js';

/**
 * The public API as an OpenAPI 3.1 document, served at `/api/openapi.json`. Request bodies and
 * query parameters are generated from the zod schemas the services validate with, so the
 * document cannot drift from what is accepted; answers are described in words (their shapes are
 * TypeScript types, docs/control-plane.md lists them).
 */

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['status', 'code', 'message'],
      properties: { status: { type: 'integer' }, code: { type: 'string' }, message: { type: 'string' } },
    },
  },
};

const jsonSchema = (s: ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });

/** Query parameters of a zod object schema, each with its own JSON schema. */
function queryParameters(s: z.ZodObject) {
  const schema = jsonSchema(s) as { properties?: Record<string, object>; required?: string[] };
  return Object.entries(schema.properties ?? {}).map(([name, p]) => ({
    name,
    in: 'query',
    required: schema.required?.includes(name) ?? false,
    schema: p,
  }));
}

const pathParam = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
});
const title = pathParam('title', 'a title id or its name (any case, accents or spacing)');
const upload = pathParam('id', 'the upload id (the last segment of its Location)');
const tusHeader = (name: string, required: boolean) => ({
  name,
  in: 'header',
  required,
  schema: { type: 'string' },
});
const errorResponses = (statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [String(s), { $ref: '#/components/responses/Error' }]));

interface Op {
  summary: string;
  ok: string;
  status?: number;
  body?: ZodType;
  query?: z.ZodObject;
  params?: object[];
  errors?: number[];
}

function operation(o: Op) {
  const responses: Record<string, object> = {
    [String(o.status ?? 200)]: { description: o.ok },
    401: { $ref: '#/components/responses/Error' },
  };
  for (const s of o.errors ?? []) responses[String(s)] = { $ref: '#/components/responses/Error' };
  return {
    summary: o.summary,
    ...(o.params || o.query
      ? { parameters: [...(o.params ?? []), ...(o.query ? queryParameters(o.query) : [])] }
      : {}),
    ...(o.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(o.body) } } } }
      : {}),
    responses,
  };
}

/** The document; `commentChars` is the cluster's comment length limit. */
export function openApiDocument(options: { commentChars: number }) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'flix public API',
      version: '1',
      description:
        'Every route but /api/health and /api/openapi.json needs `Authorization: Bearer <token>`. Errors are `{error: {status, code, message}}`; 429 carries Retry-After.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: errorSchema },
      responses: {
        Error: {
          description: 'the request was refused or failed',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    },
    security: [{ bearer: [] }],
    paths: {
      '/api/health': {
        get: {
          summary: 'the gateway answering, with its zone',
          security: [],
          responses: { 200: { description: '{status, zone, instance}' } },
        },
      },
      '/api/openapi.json': {
        get: { summary: 'this document', security: [], responses: { 200: { description: 'OpenAPI 3.1' } } },
      },
      '/api/me': { get: operation({ summary: 'the caller: plan, region, subscription', ok: 'User' }) },
      '/api/users/{id}/tokens': {
        post: operation({
          summary: 'a new token for yourself (another device)',
          status: 201,
          ok: '{token, expiresAt}',
          body: createToken,
          params: [pathParam('id', 'your own user id')],
          errors: [400, 403],
        }),
      },
      '/api/titles': {
        get: operation({
          summary: 'ready titles, most played first, with `licensed` for you',
          ok: '{titles}',
        }),
      },
      '/api/titles/{title}': {
        get: operation({ summary: 'one title', ok: 'CatalogTitle', params: [title], errors: [404] }),
        delete: operation({
          summary:
            'delete a title you uploaded (the operator may delete any): its media, votes and upload go with it',
          status: 204,
          ok: 'deleted',
          params: [title],
          errors: [403, 404],
        }),
      },
      '/api/play': {
        post: operation({
          summary: 'start a play: signed edge URLs in steering order and the bookmark',
          ok: 'PlayAnswer',
          body: playRequestSchema,
          errors: [400, 403, 404, 409, 451],
        }),
      },
      '/api/play/{playId}/heartbeat': {
        post: operation({
          summary: 'every 10 s of media: moves the bookmark, keeps the stream, counts the view',
          status: 204,
          ok: 'recorded',
          body: heartbeatSchema,
          params: [pathParam('playId', 'from POST /api/play')],
          errors: [400, 403, 404],
        }),
      },
      '/api/play/{playId}': {
        delete: operation({
          summary: 'the play ended: its stream slot is free',
          status: 204,
          ok: 'ended',
          params: [pathParam('playId', 'from POST /api/play')],
          errors: [403, 404],
        }),
      },
      '/api/bookmarks': { get: operation({ summary: 'where you stopped in each title', ok: '{bookmarks}' }) },
      '/api/recommendations': {
        get: operation({
          summary:
            'rows of titles for you: trained picks, because you watched, popular, new, by genre; a static top 10 marked degraded when the service is down',
          ok: '{rows: [{name, kind, titles}], degraded, trainedAt}',
        }),
      },
      '/api/search': {
        get: operation({
          summary: 'titles by name, typos forgiven, as you type; only those licensed where you are',
          ok: 'SearchAnswer ({query, hits, degraded, reason?}); degraded: the catalog LIKE match while Elasticsearch is down',
          query: searchQuery,
          errors: [400],
        }),
      },
      '/api/stats/{title}': {
        get: operation({
          summary: 'views, likes, dislikes and your vote',
          ok: 'StatsAnswer',
          params: [title],
          errors: [404],
        }),
      },
      '/api/votes/{title}': {
        put: operation({
          summary: 'like or dislike (a repeat changes nothing)',
          ok: 'VoteAnswer (changed)',
          body: voteBody,
          params: [title],
          errors: [400, 404, 451],
        }),
        delete: operation({
          summary: 'take your vote back',
          ok: 'VoteAnswer',
          params: [title],
          errors: [404, 451],
        }),
      },
      '/api/comments/{title}': {
        get: operation({
          summary: 'comments, newest first; pass `next` as cursor for older ones',
          ok: 'CommentPage',
          query: listQuery,
          params: [title],
          errors: [400, 404],
        }),
        post: operation({
          summary: 'add a comment (stored as written; escape it when you show it)',
          status: 201,
          ok: 'CommentView',
          body: newCommentBody(options.commentChars),
          params: [title],
          errors: [400, 404, 429, 451],
        }),
      },
      '/api/shares': {
        post: operation({
          summary: 'a signed, expiring link to a title you may play',
          status: 201,
          ok: '{token, link, titleId, title, expiresAt}',
          body: shareRequestSchema,
          errors: [400, 404, 451],
        }),
      },
      '/api/shares/{token}': {
        get: operation({
          summary: 'what a share link shares (play it with POST /api/play {title: titleId})',
          ok: '{titleId, title, sharedBy, expiresAt}',
          params: [pathParam('token', 'the last segment of the link')],
          errors: [403, 404, 410, 451],
        }),
      },
      '/api/history': {
        get: operation({
          summary: 'your viewing history: live and compressed, with your position in each title',
          ok: 'HistoryAnswer',
        }),
      },
      '/api/uploads': {
        get: operation({ summary: 'your uploads, newest first', ok: '{uploads: UploadView[]}' }),
        post: {
          summary:
            'start a tus 1.0.0 upload (creation extension): Upload-Length (required; deferred lengths are refused), Upload-Metadata with base64 `filename`, `title`, `visibility` (public|unlisted|private), `genres` (comma-separated), `year`',
          parameters: [tusHeader('Upload-Length', true), tusHeader('Upload-Metadata', false)],
          responses: {
            201: { description: 'created; Location is the upload URL to PATCH to' },
            ...errorResponses([400, 401, 409, 413, 429]),
          },
        },
      },
      '/api/uploads/{id}': {
        get: operation({
          summary: 'one upload and where its title is in ingest',
          ok: 'UploadView',
          params: [upload],
          errors: [404],
        }),
        head: {
          summary: 'tus: how many bytes are stored (Upload-Offset), to resume from there',
          parameters: [upload],
          responses: {
            200: { description: 'Upload-Offset and Upload-Length' },
            ...errorResponses([401, 404]),
          },
        },
        patch: {
          summary:
            'tus: send bytes from Upload-Offset (Content-Type: application/offset+octet-stream); the gateway takes at most 64 MiB per request',
          parameters: [upload, tusHeader('Upload-Offset', true)],
          requestBody: {
            required: true,
            content: { 'application/offset+octet-stream': { schema: { type: 'string', format: 'binary' } } },
          },
          responses: {
            204: { description: 'stored; Upload-Offset is the new offset' },
            ...errorResponses([400, 401, 404, 409, 413]),
          },
        },
        delete: {
          summary: 'tus termination: cancel an upload that is still receiving; its parts are removed',
          parameters: [upload],
          responses: { 204: { description: 'cancelled' }, ...errorResponses([401, 404]) },
        },
      },
      '/api/comments/{title}/{id}': {
        delete: operation({
          summary: 'delete your own comment',
          status: 204,
          ok: 'deleted',
          params: [title, pathParam('id', 'the comment id')],
          errors: [403, 404],
        }),
      },
    },
  };
}
