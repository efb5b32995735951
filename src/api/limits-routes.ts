/** /v1/limits: read and change the global bandwidth limit while downloads run. */
import type { FastifyInstance } from 'fastify';
import type { Limits, LimitsStore } from '../limits/limits-store.ts';
import { errorSchema } from './schemas.ts';

export interface LimitsRouteDeps {
  readonly limits: LimitsStore;
  /** Told after a change is stored (the supervisor tells its workers). */
  readonly onChange?: (limits: Limits) => void;
}

const maxBytesPerSecond = 1024 ** 4; // the same ceiling as the rateLimitBytesPerSecond config key

const limitsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['globalBytesPerSecond'],
  properties: {
    globalBytesPerSecond: {
      type: 'integer', minimum: 0, maximum: maxBytesPerSecond,
      description: 'Bandwidth shared fairly by all active downloads of all workers, bytes per second; 0 = unlimited',
    },
  },
} as const;

export async function registerLimitsRoutes(app: FastifyInstance, deps: LimitsRouteDeps): Promise<void> {
  app.get('/v1/limits', {
    schema: { summary: 'The global bandwidth limit', response: { 200: limitsSchema, 503: errorSchema } },
  }, async () => await deps.limits.read());

  app.put<{ Body: Limits }>('/v1/limits', {
    schema: {
      summary: 'Change the global bandwidth limit; running downloads follow within a second, until the daemon restarts',
      body: limitsSchema, response: { 200: limitsSchema, 400: errorSchema, 503: errorSchema },
    },
  }, async (request) => {
    const limits = await deps.limits.write({ globalBytesPerSecond: request.body.globalBytesPerSecond });
    request.log.info(limits, 'global bandwidth limit changed');
    deps.onChange?.(limits);
    return limits;
  });
}
