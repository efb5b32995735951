/** Builds the Fastify app: error shape, schemas, OpenAPI at /docs, the route groups. */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { MediadError } from '../errors.ts';
import { toErrorReply } from './error-reply.ts';
import { registerDownloadRoutes, type DownloadsRouteDeps } from './downloads-routes.ts';
import { registerHealthRoute, type HealthDeps } from './health-route.ts';

export interface ApiDeps extends DownloadsRouteDeps, HealthDeps {
  readonly logger: FastifyBaseLogger;
  readonly registerMore?: (app: FastifyInstance) => Promise<void>;
}

export async function buildApiServer(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger,
    logController: new LogController({ disableRequestLogging: true }), // one log line per job event, not per request
    bodyLimit: 64 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
  });
  app.removeContentTypeParser('text/plain'); // the API speaks JSON only: anything else is a clear 415
  app.setErrorHandler((error: Error, request, reply) => {
    const { status, body } = toErrorReply(error);
    if (status >= 500) request.log.warn({ err: error.message, code: body.error.code }, 'request failed');
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const { status, body } = toErrorReply(new MediadError('MEDIAD_ERR_ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));
    return reply.code(status).send(body);
  });
  await app.register(swagger, { openapi: { info: { title: 'mediad', version: '1' } } });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await registerDownloadRoutes(app, deps);
  await registerHealthRoute(app, deps);
  await deps.registerMore?.(app);
  return app;
}
