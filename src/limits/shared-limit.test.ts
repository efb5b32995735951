import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedis, type RedisServer } from '../../test/helpers/redis.ts';
import { waitFor } from '../../test/helpers/wait-for.ts';
import { limitsActiveKey, limitsKey } from '../queue/keys.ts';
import { createSharedLimit, type SharedLimit } from './shared-limit.ts';

const refreshIntervalMs = 100;

describe('createSharedLimit against a real redis-server', () => {
  let server: RedisServer;
  let redis: Redis;
  before(async () => {
    server = await startRedis({ appendonly: false });
    redis = new Redis(server.url, { maxRetriesPerRequest: null });
  });
  const errors: unknown[] = [];
  after(async () => {
    await redis?.quit(); // graceful: a leave()'s ZREM still in flight gets its reply instead of "Connection is closed"
    await server?.cleanup();
  });
  beforeEach(async () => {
    errors.length = 0;
    await redis.del(limitsKey, limitsActiveKey);
  });
  afterEach(() => assert.deepEqual(errors, [], 'no Redis error reached onError'));

  const workerProcess = (processId: string, fallbackBytesPerSecond = 0, now: () => number = Date.now): SharedLimit =>
    createSharedLimit({ redis, now, processId, fallbackBytesPerSecond, refreshIntervalMs, onError: (error) => { errors.push(error); } });

  const settlesAt = async (what: string, rate: () => number, expected: number) =>
    await waitFor(() => rate() === expected, { timeoutMs: 2000, intervalMs: 20, what: `${what} to reach ${expected} B/s (it is ${rate()})` });

  it('uses the configured value while the hash has none, and the hash once it has one', async () => {
    const alone = await workerProcess('1', 4000).join('job-a', 0);
    assert.equal(alone.rateBytesPerSecond(), 4000);
    await redis.hset(limitsKey, 'globalBytesPerSecond', '9000');
    await settlesAt('the rate', alone.rateBytesPerSecond, 9000);
    alone.leave();
  });

  it('splits the limit between processes, makes a newcomer wait until the others made room, and gives it back on leave', async () => {
    await redis.hset(limitsKey, 'globalBytesPerSecond', '10000');
    const first = await workerProcess('1').join('job-a', 0);
    assert.equal(first.rateBytesPerSecond(), 10_000);
    const joinStarted = performance.now();
    const second = await workerProcess('2').join('job-b', 0);
    assert.ok(performance.now() - joinStarted >= refreshIntervalMs, 'the newcomer waited one refresh interval');
    assert.equal(first.rateBytesPerSecond(), 5000, 'the first had already lowered its share when the newcomer started');
    assert.equal(second.rateBytesPerSecond(), 5000);
    second.leave();
    await settlesAt('the remaining download', first.rateBytesPerSecond, 10_000);
    first.leave();
    await waitFor(async () => (await redis.zcard(limitsActiveKey)) === 0, { timeoutMs: 2000, what: 'the active set to empty' });
  });

  it('leaves a capped download its cap and gives the rest to the others', async () => {
    await redis.hset(limitsKey, 'globalBytesPerSecond', '10000');
    const capped = await workerProcess('1').join('job-a', 1000);
    const free = await workerProcess('2').join('job-b', 0);
    await settlesAt('the capped download', capped.rateBytesPerSecond, 1000);
    assert.equal(free.rateBytesPerSecond(), 9000);
    capped.leave();
    free.leave();
  });

  it('ignores a heartbeat older than 3 s: a dead worker does not keep its share', async () => {
    await redis.hset(limitsKey, 'globalBytesPerSecond', '10000');
    await redis.zadd(limitsActiveKey, Date.now() - 3500, '999:dead-job:0');
    const alive = await workerProcess('1').join('job-a', 0);
    assert.equal(alive.rateBytesPerSecond(), 10_000);
    assert.equal(await redis.zscore(limitsActiveKey, '999:dead-job:0'), null, 'the stale entry was pruned');
    alive.leave();
  });

  it('ignores a reading sent before the limit changed: the next download asks Redis before it starts', async () => {
    // The first heartbeat's MULTI runs in Redis under "no limit", but its reply is held back until after a PUT stored
    // a limit and the supervisor's broadcast reached this process: that old reply must not stand for the new limit.
    let releaseReply: (() => void) | undefined;
    let holdNextReply = true;
    const gated = {
      multi: () => {
        const transaction = redis.multi();
        if (!holdNextReply) return transaction;
        holdNextReply = false;
        const exec = transaction.exec.bind(transaction);
        return Object.assign(transaction, {
          exec: () => {
            const reply = exec();
            return new Promise((resolve, reject) => { releaseReply = () => void reply.then(resolve, reject); });
          },
        });
      },
      zrem: (key: string, member: string) => redis.zrem(key, member),
    } as unknown as Redis;
    const limit = createSharedLimit({ redis: gated, now: Date.now, processId: '1', fallbackBytesPerSecond: 0, refreshIntervalMs: 1000, onError: (error) => { errors.push(error); } });
    const joining = limit.join('job-a', 0);
    await waitFor(() => releaseReply !== undefined, { timeoutMs: 2000, what: 'the first heartbeat to be sent' });
    await redis.ping(); // same connection, so the held MULTI has run in Redis by now, under "no limit"
    await redis.hset(limitsKey, 'globalBytesPerSecond', '10000');
    limit.limitChanged();
    releaseReply?.();
    const first = await joining;

    const second = await limit.join('job-b', 0);

    assert.notEqual(second.rateBytesPerSecond(), 0, 'the second download started under the new limit, not unlimited');
    first.leave();
    second.leave();
  });

  it('is unlimited when neither a global limit nor a cap applies', async () => {
    const free = await workerProcess('1').join('job-a', 0);
    assert.equal(free.rateBytesPerSecond(), 0);
    free.leave();
  });

  const members = async () => (await redis.zrange(limitsActiveKey, 0, -1)).sort();

  it('starts a download at once while the process knows there is no limit; it joins the set on its first heartbeat', async () => {
    const worker = workerProcess('1');
    const first = await worker.join('job-a', 0); // nothing known yet: asks Redis, and is in the set
    const second = await worker.join('job-b', 2000);
    assert.deepEqual(await members(), ['1:job-a:0'], 'the second started without a round trip');
    assert.equal(second.rateBytesPerSecond(), 2000, 'at its own cap meanwhile');
    await waitFor(async () => (await members()).length === 2, { timeoutMs: 2000, intervalMs: 20, what: 'the second download to join on its heartbeat' });
    assert.deepEqual(await members(), ['1:job-a:0', '1:job-b:2000']);
    first.leave();
    second.leave();
    await waitFor(async () => (await members()).length === 0, { timeoutMs: 2000, what: 'the active set to empty' });
  });

  it('a download that ends before its first heartbeat never shows up in the set', async () => {
    const worker = workerProcess('1');
    (await worker.join('job-a', 0)).leave();
    await waitFor(async () => (await members()).length === 0, { timeoutMs: 2000, what: 'the first download to leave' });
    const quick = await worker.join('job-b', 0);
    quick.leave();
    await new Promise((resolve) => setTimeout(resolve, refreshIntervalMs * 3));
    assert.deepEqual(await members(), [], 'no heartbeat ran after leave');
  });

  it('after limitChanged the next download reads the new limit before it starts', async () => {
    const worker = workerProcess('1');
    (await worker.join('job-a', 0)).leave(); // the process now knows: unlimited
    await redis.hset(limitsKey, 'globalBytesPerSecond', '10000');
    const unaware = await worker.join('job-b', 0);
    assert.equal(unaware.rateBytesPerSecond(), 0, 'without the announcement it trusts the reading of a moment ago');
    unaware.leave();
    worker.limitChanged();
    const told = await worker.join('job-c', 0);
    assert.equal(told.rateBytesPerSecond(), 10_000);
    told.leave();
  });
});
