/**
 * The global bandwidth limit in Redis (`mediad:limits`), shared by the API,
 * which writes it, and every worker process, which reads it.
 */
import type { Redis } from 'ioredis';
import { limitsKey } from '../queue/keys.ts';
import { parseGlobalLimit } from './fair-share.ts';

/** Field of the `mediad:limits` hash holding the global limit. */
export const globalLimitField = 'globalBytesPerSecond';

export interface Limits {
  /** Shared by all active downloads of all worker processes; 0 = unlimited. */
  readonly globalBytesPerSecond: number;
}

export interface LimitsStore {
  read(): Promise<Limits>;
  write(limits: Limits): Promise<Limits>;
}

/** `fallbackBytesPerSecond` (the configured value) answers while the hash has no valid value. */
export function createLimitsStore(redis: Pick<Redis, 'hget' | 'hset'>, fallbackBytesPerSecond: number): LimitsStore {
  return {
    async read() {
      return { globalBytesPerSecond: parseGlobalLimit(await redis.hget(limitsKey, globalLimitField), fallbackBytesPerSecond) };
    },
    async write(limits) {
      await redis.hset(limitsKey, globalLimitField, String(limits.globalBytesPerSecond));
      return { globalBytesPerSecond: limits.globalBytesPerSecond };
    },
  };
}
