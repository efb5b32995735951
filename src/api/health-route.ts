import type { FastifyInstance } from 'fastify';
import { healthSchema } from './schemas.ts';

export interface HealthDeps {
  readonly pingRedis: () => Promise<boolean>;
  readonly workers: () => { size: number; jobsPerWorker: number; busy: number; pids: number[] };
}

/** GET /v1/health: 200 when Redis answers, 503 when it does not (the workers keep their state either way). */
export async function registerHealthRoute(app: FastifyInstance, deps: HealthDeps): Promise<void> {
  app.get('/v1/health', { schema: { summary: 'Daemon health', response: { 200: healthSchema, 503: healthSchema } } }, async (_request, reply) => {
    const redisUp = await deps.pingRedis();
    return reply.code(redisUp ? 200 : 503).send({ status: redisUp ? 'ok' : 'degraded', redis: redisUp ? 'up' : 'down', workers: deps.workers() });
  });
}
