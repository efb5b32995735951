/** Where Redis is and how each role connects to it. */
import { Redis, type RedisOptions } from 'ioredis';

/** A Redis URL, or the unix socket of the embedded server. Serialisable: the supervisor hands it to workers. */
export type RedisTarget = { readonly url: string } | { readonly path: string };

/**
 * `worker`: BullMQ requires maxRetriesPerRequest null so blocking commands wait out an outage.
 * `api`: fail fast (no offline queue) so the API answers 503 while Redis is down instead of hanging.
 */
export function connectRedis(target: RedisTarget, role: 'worker' | 'api', name: string): Redis {
  const common: RedisOptions = {
    connectionName: name,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    lazyConnect: false,
  };
  const options: RedisOptions = role === 'worker'
    ? { ...common, maxRetriesPerRequest: null, enableReadyCheck: true }
    : { ...common, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000, commandTimeout: 2000 };
  return 'url' in target ? new Redis(target.url, options) : new Redis({ ...options, path: target.path });
}

/** Resolves once the connection is ready, or rejects after `timeoutMs`. */
export async function waitForReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}

export function describeTarget(target: RedisTarget): string {
  return 'url' in target ? target.url.replace(/\/\/[^@/]*@/, '//***@') : `unix:${target.path}`;
}
