import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedis, type RedisServer } from '../../test/helpers/redis.ts';
import { luaScript } from './script.ts';

describe('luaScript against a real redis-server', () => {
  let server: RedisServer;
  let redis: Redis;
  before(async () => {
    server = await startRedis({ appendonly: false });
    redis = new Redis(server.url, { maxRetriesPerRequest: null });
  });
  after(async () => {
    await redis?.quit();
    await server?.cleanup();
  });

  /** Calls of `command` so far, from INFO commandstats. */
  const calls = async (command: string) => Number((await redis.info('commandstats')).match(new RegExp(`cmdstat_${command}:calls=(\\d+)`))?.[1] ?? 0);

  it('sends the source once, then only its SHA1, and again after Redis lost its scripts', async () => {
    const incrBy = luaScript("return redis.call('INCRBY', KEYS[1], ARGV[1])");
    await redis.script('FLUSH');
    const [eval0, evalsha0] = [await calls('eval'), await calls('evalsha')];
    assert.equal(await incrBy(redis, ['counter'], [2]), 2);
    assert.equal(await incrBy(redis, ['counter'], [3]), 5);
    assert.equal(await calls('eval') - eval0, 1, 'the source went once');
    assert.equal(await calls('evalsha') - evalsha0, 2, 'both calls tried the SHA1 first');
    await redis.script('FLUSH'); // as after a restart without the script
    assert.equal(await incrBy(redis, ['counter'], [4]), 9);
    assert.equal(await calls('eval') - eval0, 2);
  });

  it('passes errors other than a missing script on', async () => {
    const broken = luaScript("return redis.call('INCRBY', KEYS[1], 'not a number')");
    await assert.rejects(broken(redis, ['counter'], []), /not an integer/);
  });
});
