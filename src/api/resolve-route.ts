/** GET /v1/resolve?url=: metadata and available formats, without queuing anything. */
import type { FastifyInstance } from 'fastify';
import { MediadError } from '../errors.ts';
import { checkDownloadUrl } from '../engine/url-guard.ts';
import type { ResolveUrl } from '../sources/resolve-url.ts';
import { errorSchema } from './schemas.ts';

export interface ResolveRouteDeps {
  readonly resolve: ResolveUrl;
  readonly checkHost: (url: string) => Promise<void>;
  readonly timeoutMs: number;
}

const streamSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, container: { type: 'string' }, hasVideo: { type: 'boolean' }, hasAudio: { type: 'boolean' },
    videoCodec: { type: 'string' }, audioCodec: { type: 'string' }, bitrateBps: { type: 'number' }, width: { type: 'integer' },
    height: { type: 'integer' }, fps: { type: 'number' }, contentLengthBytes: { type: 'integer' }, expiresAtMs: { type: 'number' },
  },
} as const;

export async function registerResolveRoute(app: FastifyInstance, deps: ResolveRouteDeps): Promise<void> {
  app.get<{ Querystring: { url: string } }>('/v1/resolve', {
    schema: {
      summary: 'What a URL offers: metadata and formats (stream URLs are not shown; they are signed and short-lived)',
      querystring: { type: 'object', additionalProperties: false, required: ['url'], properties: { url: { type: 'string' } } },
      response: {
        200: {
          type: 'object',
          properties: {
            resolver: { type: 'string' },
            metadata: { type: 'object', properties: { id: { type: 'string' }, title: { type: 'string' }, uploader: { type: 'string' }, durationSeconds: { type: 'number' }, thumbnailUrl: { type: 'string' }, isLive: { type: 'boolean' } } },
            formats: { type: 'array', items: streamSchema },
          },
        },
        400: errorSchema, 403: errorSchema, 404: errorSchema, 502: errorSchema,
      },
    },
  }, async (request) => {
    const problem = checkDownloadUrl(request.query.url);
    if (problem) throw new MediadError(problem.code, problem.message);
    await deps.checkHost(request.query.url);
    const media = await deps.resolve(request.query.url, AbortSignal.timeout(deps.timeoutMs));
    return { resolver: media.resolver, metadata: media.metadata, formats: media.streams };
  });
}
