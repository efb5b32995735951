/** /v1/downloads: enqueue (one, or a list), read, page, cancel, retry. */
import type { FastifyInstance } from 'fastify';
import { MediadError } from '../errors.ts';
import { toView, type JobKind, type JobRequest, type JobState } from '../queue/job-record.ts';
import type { DownloadService } from '../queue/download-service.ts';
import type { JobStore } from '../queue/job-store.ts';
import { toJobRequest, type CreateBody } from './request-checks.ts';
import { batchBodySchema, createBodySchema, errorSchema, idParamsSchema, jobSchema, listQuerySchema } from './schemas.ts';

export interface DownloadsRouteDeps {
  readonly store: JobStore;
  readonly downloads: DownloadService;
  /** Refuses hosts on internal networks (a no-op when they are allowed). */
  readonly checkHost: (url: string) => Promise<void>;
  readonly validateMediaOptions?: (kind: JobKind, options: Record<string, string | number>) => void;
}

const batchReplySchema = { type: 'object', properties: { jobs: { type: 'array', items: jobSchema } } } as const;
const errors = { 400: errorSchema, 404: errorSchema, 409: errorSchema, 503: errorSchema };
const idempotencyHeaders = { type: 'object', properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 200 } } } as const;
const batchBodyLimitBytes = 16 * 1024 * 1024; // 1000 signed CDN URLs of a few KiB each

export async function registerDownloadRoutes(app: FastifyInstance, deps: DownloadsRouteDeps): Promise<void> {
  app.post<{ Body: CreateBody; Headers: { 'idempotency-key'?: string } }>('/v1/downloads', {
    schema: {
      summary: 'Queue a download', body: createBodySchema,
      headers: idempotencyHeaders,
      response: { 200: jobSchema, 201: jobSchema, ...errors },
    },
  }, async (request, reply) => {
    const jobRequest = toJobRequest(request.body, deps.validateMediaOptions);
    await deps.checkHost(jobRequest.url);
    const { record, created } = await deps.downloads.enqueue(jobRequest, request.headers['idempotency-key']);
    request.log.info({ jobId: record.id, url: jobRequest.url, created }, created ? 'download queued' : 'idempotent replay');
    return reply.code(created ? 201 : 200).send(toView(record));
  });

  app.post<{ Body: { downloads: CreateBody[] }; Headers: { 'idempotency-key'?: string } }>('/v1/downloads/batch', {
    bodyLimit: batchBodyLimitBytes,
    schema: {
      summary: 'Queue a list of downloads in order: every item is checked first, and one bad item queues none',
      body: batchBodySchema, headers: idempotencyHeaders,
      response: { 200: batchReplySchema, 201: batchReplySchema, ...errors },
    },
  }, async (request, reply) => {
    const jobRequests: JobRequest[] = [];
    const checkedHosts = new Set<string>(); // a list mostly names a few hosts: each is resolved once, not once per item
    for (const [index, body] of request.body.downloads.entries()) {
      try {
        const jobRequest = toJobRequest(body, deps.validateMediaOptions);
        const host = new URL(jobRequest.url).hostname;
        if (!checkedHosts.has(host)) {
          await deps.checkHost(jobRequest.url);
          checkedHosts.add(host);
        }
        jobRequests.push(jobRequest);
      } catch (error) {
        if (!(error instanceof MediadError)) throw error; // mapped as for a single POST
        throw new MediadError(error.code, `downloads[${index}]: ${error.message}`);
      }
    }
    const results = await deps.downloads.enqueueMany(jobRequests, request.headers['idempotency-key']);
    const created = results.filter((result) => result.created).length;
    request.log.info({ items: results.length, created }, 'download list queued');
    return reply.code(created > 0 ? 201 : 200).send({ jobs: results.map((result) => toView(result.record)) });
  });

  app.get<{ Params: { id: string } }>('/v1/downloads/:id', {
    schema: { summary: 'One download', params: idParamsSchema, response: { 200: jobSchema, ...errors } },
  }, async (request) => {
    const record = await deps.store.get(request.params.id);
    if (!record) throw new MediadError('MEDIAD_ERR_NOT_FOUND', `no download with id ${request.params.id}`);
    return toView(record);
  });

  app.get<{ Querystring: { state?: JobState; limit: number; cursor?: string } }>('/v1/downloads', {
    schema: {
      summary: 'Downloads, newest first', querystring: listQuerySchema,
      response: { 200: { type: 'object', properties: { jobs: { type: 'array', items: jobSchema }, nextCursor: { anyOf: [{ type: 'string' }, { type: 'null' }] } } }, ...errors },
    },
  }, async (request) => {
    const page = await deps.store.list({ state: request.query.state, limit: request.query.limit, cursor: request.query.cursor });
    return { jobs: page.jobs.map(toView), nextCursor: page.nextCursor };
  });

  app.delete<{ Params: { id: string } }>('/v1/downloads/:id', {
    schema: { summary: 'Cancel a queued or running download; its partial data is removed', params: idParamsSchema, response: { 200: jobSchema, ...errors } },
  }, async (request) => toView(await deps.downloads.cancel(request.params.id)));

  app.post<{ Params: { id: string } }>('/v1/downloads/:id/retry', {
    schema: { summary: 'Queue a failed download again; it resumes from its partial data', params: idParamsSchema, response: { 200: jobSchema, ...errors } },
  }, async (request) => toView(await deps.downloads.retry(request.params.id)));
}
