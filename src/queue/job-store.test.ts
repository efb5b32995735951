import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedis, type RedisServer } from '../../test/helpers/redis.ts';
import { initialProgress, type JobRecord } from './job-record.ts';
import { createJobStore, type JobStore } from './job-store.ts';
import { runningSetKey } from './keys.ts';

describe('JobStore.claim against a real redis-server', () => {
  let server: RedisServer;
  let redis: Redis;
  let store: JobStore;
  before(async () => {
    server = await startRedis({ appendonly: false });
    redis = new Redis(server.url, { maxRetriesPerRequest: null });
    store = createJobStore(redis);
  });
  after(async () => {
    await redis?.quit();
    await server?.cleanup();
  });
  beforeEach(async () => {
    await redis.flushall();
  });

  const queued = async (changes: Partial<JobRecord> = {}): Promise<JobRecord> => {
    const { record } = await store.create((seq) => ({
      id: `job-${Math.random().toString(36).slice(2)}`, seq, request: { url: 'http://origin/a.bin', kind: 'file', priority: 0, options: {} },
      state: 'queued', progress: initialProgress, attempts: 0, error: null, file: null,
      createdAt: '2026-11-23T10:00:00.000Z', startedAt: null, finishedAt: null, cancelRequestedAt: null,
    }));
    if (Object.keys(changes).length > 0) await store.update(record.id, changes);
    return { ...record, ...changes };
  };
  const running = async () => (await redis.smembers(runningSetKey)).sort();

  it('returns the record as it was and marks it active, running, with the attempt and its first start', async () => {
    const record = await queued({ error: { code: 'MEDIAD_ERR_HTTP_5XX', message: 'try later' } });
    const before = await store.claim(record.id, 1, '2026-11-23T10:00:01.000Z');
    assert.equal(before?.state, 'queued');
    assert.equal(before?.error?.code, 'MEDIAD_ERR_HTTP_5XX');
    const now = await store.get(record.id);
    assert.equal(now?.state, 'active');
    assert.equal(now?.attempts, 1);
    assert.equal(now?.error, null);
    assert.equal(now?.startedAt, '2026-11-23T10:00:01.000Z');
    assert.deepEqual(await running(), [record.id]);
    await store.claim(record.id, 2, '2026-11-23T10:05:00.000Z'); // a retry keeps the first start
    assert.equal((await store.get(record.id))?.startedAt, '2026-11-23T10:00:01.000Z');
    assert.equal((await store.get(record.id))?.attempts, 2);
  });

  it('leaves a completed job as it is: the worker reports its file without running it', async () => {
    const file = { path: '/downloads/a.bin', name: 'a.bin', size: 5, sha256: null };
    const record = await queued({ state: 'completed', file, finishedAt: '2026-11-23T10:00:02.000Z' });
    const before = await store.claim(record.id, 3, '2026-11-23T10:09:00.000Z');
    assert.deepEqual(before?.file, file);
    assert.equal((await store.get(record.id))?.state, 'completed');
    assert.equal((await store.get(record.id))?.attempts, 0);
    assert.deepEqual(await running(), []);
  });

  it('leaves a job with a pending cancel as it is: the worker cancels it', async () => {
    const record = await queued({ cancelRequestedAt: '2026-11-23T10:00:03.000Z' });
    const before = await store.claim(record.id, 1, '2026-11-23T10:09:00.000Z');
    assert.equal(before?.cancelRequestedAt, '2026-11-23T10:00:03.000Z');
    assert.equal((await store.get(record.id))?.state, 'queued');
    assert.deepEqual(await running(), []);
  });

  it('answers undefined for a job without a record', async () => {
    assert.equal(await store.claim('no-such-job', 1, '2026-11-23T10:09:00.000Z'), undefined);
    assert.deepEqual(await running(), []);
  });

  it('updates fields and the running set in one call: finishing a run takes it out, a run marked running goes in', async () => {
    const record = await queued();
    await store.claim(record.id, 1, '2026-11-23T10:00:01.000Z');
    const file = { path: '/downloads/b.bin', name: 'b.bin', size: 7, sha256: null };
    await store.update(record.id, { state: 'completed', file, finishedAt: '2026-11-23T10:00:04.000Z' }, false);
    const now = await store.get(record.id);
    assert.equal(now?.state, 'completed');
    assert.deepEqual(now?.file, file);
    assert.equal(now?.startedAt, '2026-11-23T10:00:01.000Z', 'fields not named stay');
    assert.deepEqual(await running(), []);
    await store.update(record.id, { state: 'active' }, true);
    assert.deepEqual(await running(), [record.id]);
    assert.equal((await store.get(record.id))?.state, 'active');
  });
});
