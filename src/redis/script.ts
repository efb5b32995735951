/**
 * A Lua script sent by its SHA1 (EVALSHA), with the source only when Redis does not have it yet (after a
 * restart or SCRIPT FLUSH). EVAL would send the whole source with every call and make Redis hash it each time:
 * the job-record scripts run once or twice per download.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export type ScriptRunner = (redis: Pick<Redis, 'evalsha' | 'eval'>, keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>;

export function luaScript(source: string): ScriptRunner {
  const sha = createHash('sha1').update(source).digest('hex');
  return async (redis, keys, args) => {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
      return await redis.eval(source, keys.length, ...keys, ...args); // EVAL also caches it under the same SHA1
    }
  };
}
