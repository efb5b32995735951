import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startRedis, type RedisServer } from '../../test/helpers/redis.ts';
import { createDownloadService, type DownloadService } from './download-service.ts';
import { initialProgress, type JobRequest } from './job-record.ts';
import { createJobStore, type JobStore } from './job-store.ts';
import { bullPrefix, jobIndexKey, queueName } from './keys.ts';

const request = (name: string): JobRequest => ({ url: `http://origin.test/${name}.bin`, kind: 'file', priority: 0, options: {} });

describe('DownloadService enqueue against a real redis-server and BullMQ queue', () => {
  let server: RedisServer;
  let redis: Redis;
  let queue: Queue;
  let store: JobStore;
  let service: DownloadService;
  /** Adds that fail before reaching BullMQ, as when Redis drops between a record and its queue entry. */
  let failingAdds = 0;
  before(async () => {
    server = await startRedis({ appendonly: false });
    redis = new Redis(server.url, { maxRetriesPerRequest: null });
    queue = new Queue(queueName, { connection: redis, prefix: bullPrefix });
    store = createJobStore(redis);
    const flaky = {
      add: (...args: Parameters<Queue['add']>) => (failingAdds-- > 0 ? Promise.reject(new Error('redis went away')) : queue.add(...args)),
      addBulk: (...args: Parameters<Queue['addBulk']>) => (failingAdds-- > 0 ? Promise.reject(new Error('redis went away')) : queue.addBulk(...args)),
      getJob: (id: string) => queue.getJob(id),
    } as unknown as Queue;
    service = createDownloadService({ queue: flaky, store, maxAttempts: 3, downloadDir: '/nonexistent', now: Date.now, stopRunningJob: () => undefined });
  });
  after(async () => {
    await queue?.close();
    await redis?.quit();
    await server?.cleanup();
  });
  beforeEach(async () => {
    failingAdds = 0;
    await redis.flushall();
  });

  const inQueue = async (ids: readonly string[]) => Promise.all(ids.map(async (id) => (await queue.getJob(id)) !== undefined));
  const jobCount = () => redis.zcard(jobIndexKey);

  it('completes a list whose queue entries were not added when it is sent again with its key', async () => {
    const list = [request('a'), request('b'), request('c')];
    failingAdds = 1;
    await assert.rejects(service.enqueueMany(list, 'list-1'), /redis went away/);
    const stranded = (await store.list({ state: 'queued', limit: 10 })).jobs.map((job) => job.id);
    assert.equal(stranded.length, 3);
    assert.deepEqual(await inQueue(stranded), [false, false, false], 'records without queue entries: nothing would run them');

    const again = await service.enqueueMany(list, 'list-1');

    assert.deepEqual(again.map((result) => result.created), [false, false, false]);
    assert.deepEqual(again.map((result) => result.record.id).sort(), [...stranded].sort());
    assert.deepEqual(await inQueue(stranded), [true, true, true]);
    assert.equal(await jobCount(), 3);
  });

  it('gives a single download its missing queue entry when it is sent again with its key', async () => {
    failingAdds = 1;
    await assert.rejects(service.enqueue(request('one'), 'single-1'), /redis went away/);
    const again = await service.enqueue(request('one'), 'single-1');
    assert.equal(again.created, false);
    assert.deepEqual(await inQueue([again.record.id]), [true]);
  });

  it('adds nothing when a replayed job has left the queued state (a new entry would run it again)', async () => {
    const first = await service.enqueue(request('done'), 'single-2');
    await (await queue.getJob(first.record.id))?.remove();
    await store.update(first.record.id, { state: 'completed' });
    const again = await service.enqueue(request('done'), 'single-2');
    assert.equal(again.record.id, first.record.id);
    assert.deepEqual(await inQueue([first.record.id]), [false]);
  });

  it('refuses a different list under a key already used, and creates nothing', async () => {
    await service.enqueueMany([request('a'), request('b')], 'list-2');
    for (const other of [[request('a'), request('x')], [request('a')], [request('a'), request('b'), request('c')]]) {
      await assert.rejects(service.enqueueMany(other, 'list-2'), (error: { code?: string }) => error.code === 'MEDIAD_ERR_IDEMPOTENCY_CONFLICT');
    }
    assert.equal(await jobCount(), 2);
  });

  it('refuses a single download sent again under its key with another URL', async () => {
    await service.enqueue(request('a'), 'single-3');
    await assert.rejects(service.enqueue(request('b'), 'single-3'), (error: { code?: string }) => error.code === 'MEDIAD_ERR_IDEMPOTENCY_CONFLICT');
    assert.equal(await jobCount(), 1);
  });

  it('never lets a single key and a list item alias each other', async () => {
    const [item] = await service.enqueueMany([request('a'), request('b')], 'k');
    const single = await service.enqueue(request('a'), 'k:0');
    assert.equal(single.created, true);
    assert.notEqual(single.record.id, item?.record.id);
  });

  it('at daemon start, adds the missing entries of queued records and leaves the others alone', async () => {
    const make = async (name: string, state: 'queued' | 'completed' | 'failed') => (await store.create((seq) => ({
      id: `job-${name}`, seq, request: request(name), state, progress: initialProgress, attempts: 0, error: null, file: null,
      createdAt: new Date().toISOString(), startedAt: null, finishedAt: null, cancelRequestedAt: null,
    }))).record.id;
    const queued = [await make('q1', 'queued'), await make('q2', 'queued')];
    const ended = [await make('c', 'completed'), await make('f', 'failed')];
    const entered = await service.enqueue(request('entered'));

    assert.equal(await service.requeueQueued(), 3);

    assert.deepEqual(await inQueue(queued), [true, true]);
    assert.deepEqual(await inQueue(ended), [false, false]);
    assert.equal(await queue.count(), 3, 'the record that had its entry still has exactly one');
    assert.deepEqual(await inQueue([entered.record.id]), [true]);
  });
});
