/** Job records in Redis: create (with idempotency), read, page newest-first, update. */
import type { Redis } from 'ioredis';
import { decodeRecord, encodeRecord, type JobRecord, type JobState } from './job-record.ts';
import { idempotencyKey, jobIndexKey, jobKey, jobSeqKey, runningSetKey } from './keys.ts';

const idempotencyTtlSeconds = 24 * 60 * 60;

export interface JobPage {
  readonly jobs: JobRecord[];
  readonly nextCursor: string | null;
}

export interface JobStore {
  /** Saves a new record unless `idempotency` already names a job; returns the job that stands for the request and whether it is new. */
  create(build: (seq: number) => JobRecord, idempotency?: string): Promise<{ record: JobRecord; created: boolean }>;
  get(id: string): Promise<JobRecord | undefined>;
  update(id: string, fields: Partial<JobRecord>): Promise<void>;
  list(options: { state?: JobState | undefined; limit: number; cursor?: string | undefined }): Promise<JobPage>;
  isCancelRequested(id: string): Promise<boolean>;
  /** Marks a job as run by a live worker (or no longer). */
  setRunning(id: string, running: boolean): Promise<void>;
  /** At daemon start no worker runs anything yet: jobs still marked running belonged to the dead daemon; show them as queued. */
  requeueOrphanedRuns(): Promise<string[]>;
}

export function createJobStore(redis: Redis): JobStore {
  async function get(id: string): Promise<JobRecord | undefined> {
    return decodeRecord(await redis.hgetall(jobKey(id)));
  }

  return {
    async create(build, idempotency) {
      const seq = await redis.incr(jobSeqKey);
      const record = build(seq);
      if (idempotency) {
        const claimed = await redis.set(idempotencyKey(idempotency), record.id, 'EX', idempotencyTtlSeconds, 'NX');
        if (claimed === null) {
          const existingId = await redis.get(idempotencyKey(idempotency));
          const existing = existingId ? await get(existingId) : undefined;
          if (existing) return { record: existing, created: false };
          await redis.set(idempotencyKey(idempotency), record.id, 'EX', idempotencyTtlSeconds); // the named job is gone: this one takes the key
        }
      }
      await redis.multi().hset(jobKey(record.id), encodeRecord(record)).zadd(jobIndexKey, seq, record.id).exec();
      return { record, created: true };
    },
    get,
    async update(id, fields) {
      await redis.hset(jobKey(id), encodeRecord(fields));
    },
    async list({ state, limit, cursor }) {
      const jobs: JobRecord[] = [];
      let max = cursor ? `(${Number(cursor)}` : '+inf';
      const batch = Math.max(limit * 2, 50);
      for (let scanned = 0; jobs.length < limit && scanned < 100_000; scanned += batch) {
        const ids = await redis.zrevrangebyscore(jobIndexKey, max, '-inf', 'LIMIT', 0, batch);
        if (ids.length === 0) return { jobs, nextCursor: null };
        const pipeline = redis.pipeline();
        for (const id of ids) pipeline.hgetall(jobKey(id));
        const results = (await pipeline.exec()) ?? [];
        for (const [, fields] of results) {
          const record = decodeRecord(fields as Record<string, string>);
          if (!record || (state && record.state !== state)) continue;
          jobs.push(record);
          if (jobs.length === limit) return { jobs, nextCursor: String(record.seq) };
        }
        const last = decodeRecord((results[results.length - 1]?.[1] ?? {}) as Record<string, string>);
        if (!last || ids.length < batch) return { jobs, nextCursor: null };
        max = `(${last.seq}`;
      }
      return { jobs, nextCursor: null };
    },
    async setRunning(id, running) {
      await (running ? redis.sadd(runningSetKey, id) : redis.srem(runningSetKey, id));
    },
    async requeueOrphanedRuns() {
      const ids = await redis.smembers(runningSetKey);
      for (const id of ids) {
        const state = await redis.hget(jobKey(id), 'state');
        if (state === 'active') await redis.hset(jobKey(id), 'state', 'queued');
        await redis.srem(runningSetKey, id);
      }
      return ids;
    },
    async isCancelRequested(id) {
      return (await redis.hget(jobKey(id), 'cancelRequestedAt'))?.length ? true : false;
    },
  };
}
