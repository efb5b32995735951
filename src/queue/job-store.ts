/** Job records in Redis: create (with idempotency), read, claim for a run, page newest-first, update. */
import type { Redis } from 'ioredis';
import { decodeRecord, encodeRecord, type JobRecord, type JobState } from './job-record.ts';
import { luaScript } from '../redis/script.ts';
import { jobIndexKey, jobKey, jobSeqKey, runningSetKey } from './keys.ts';

const idempotencyTtlSeconds = 24 * 60 * 60;

/** KEYS: seq, job hash, index, idempotency key ('' for none). ARGV: id, idempotency TTL, field/value pairs. Returns {seq, id owning the key}. */
const createScript = luaScript(`
if KEYS[4] ~= '' then
  local owner = redis.call('GET', KEYS[4])
  if owner and redis.call('EXISTS', '${jobKey('')}' .. owner) == 1 then return {0, owner} end
end
local seq = redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[2], 'seq', seq, unpack(ARGV, 3))
redis.call('ZADD', KEYS[3], seq, ARGV[1])
if KEYS[4] ~= '' then redis.call('SET', KEYS[4], ARGV[1], 'EX', ARGV[2]) end
return {seq, ARGV[1]}`);

/** KEYS: key. ARGV: value, TTL seconds. Sets the key unless it exists; returns the value it already held, or false. */
const setOnceScript = luaScript(`
local held = redis.call('GET', KEYS[1])
if held then return held end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return false`);

/**
 * KEYS: job hash, running set. ARGV: id, attempts, now (ISO). Returns the hash as it was. Marks the job active
 * (and running) unless it completed already (a crash hid that from BullMQ) or a cancel is pending: the two cases
 * the worker settles without running it. startedAt keeps the first start.
 */
const claimScript = luaScript(`
local fields = redis.call('HGETALL', KEYS[1])
if #fields == 0 then return fields end
local seen = {}
for i = 1, #fields, 2 do seen[fields[i]] = fields[i + 1] end
if (seen['state'] == 'completed' and (seen['file'] or '') ~= '') or (seen['cancelRequestedAt'] or '') ~= '' then return fields end
local startedAt = seen['startedAt'] or ''
if startedAt == '' then startedAt = ARGV[3] end
redis.call('HSET', KEYS[1], 'state', 'active', 'startedAt', startedAt, 'attempts', ARGV[2], 'error', '')
redis.call('SADD', KEYS[2], ARGV[1])
return fields`);

/** KEYS: job hash, running set. ARGV: id, 1 (running) or 0 (no longer), field/value pairs. One command where MULTI took four. */
const updateRunningScript = luaScript(`
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
if ARGV[2] == '1' then redis.call('SADD', KEYS[2], ARGV[1]) else redis.call('SREM', KEYS[2], ARGV[1]) end
return 1`);

export interface JobPage {
  readonly jobs: JobRecord[];
  readonly nextCursor: string | null;
}

export interface JobStore {
  /** Saves a new record unless the Redis key `idempotency` already names a job; returns the job that stands for the request and whether it is new. */
  create(build: (seq: number) => JobRecord, idempotency?: string): Promise<{ record: JobRecord; created: boolean }>;
  /** Stores `value` under the Redis key `key` (kept for the idempotency window) unless it holds one; returns the value it held. */
  setOnce(key: string, value: string): Promise<string | undefined>;
  get(id: string): Promise<JobRecord | undefined>;
  /**
   * A worker takes the job: one round trip reads the record and, unless it is completed or a cancel is pending,
   * marks it active, running, with this attempt number and its first start time. Returns the record as it was.
   */
  claim(id: string, attempt: number, nowIso: string): Promise<JobRecord | undefined>;
  /** `running` also marks the job as run by a live worker (true) or no longer (false), in the same round trip. */
  update(id: string, fields: Partial<JobRecord>, running?: boolean): Promise<void>;
  list(options: { state?: JobState | undefined; limit: number; cursor?: string | undefined }): Promise<JobPage>;
  isCancelRequested(id: string): Promise<boolean>;
  /** At daemon start no worker runs anything yet: jobs still marked running belonged to the dead daemon; show them as queued. */
  requeueOrphanedRuns(): Promise<string[]>;
}

export function createJobStore(redis: Redis): JobStore {
  async function get(id: string): Promise<JobRecord | undefined> {
    return decodeRecord(await redis.hgetall(jobKey(id)));
  }

  return {
    async create(build, idempotency) {
      if (idempotency) {
        const existingId = await redis.get(idempotency);
        const existing = existingId ? await get(existingId) : undefined;
        if (existing) return { record: existing, created: false };
      }
      const draft = build(0);
      const fields = encodeRecord(draft);
      delete fields.seq;
      // one round trip: number the job, store it, index it, and claim the idempotency key (NX: a racing twin loses)
      const [seq, ownerId] = (await createScript(redis, [jobSeqKey, jobKey(draft.id), jobIndexKey, idempotency ?? ''],
        [draft.id, idempotency ? idempotencyTtlSeconds : 0, ...Object.entries(fields).flat()])) as [number, string];
      if (ownerId !== draft.id) {
        const winner = await get(ownerId);
        if (winner) return { record: winner, created: false };
      }
      return { record: { ...draft, seq }, created: true };
    },
    async setOnce(key, value) {
      const held = (await setOnceScript(redis, [key], [value, idempotencyTtlSeconds])) as string | null;
      return held ?? undefined;
    },
    get,
    async claim(id, attempt, nowIso) {
      const flat = (await claimScript(redis, [jobKey(id), runningSetKey], [id, attempt, nowIso])) as string[];
      const fields: Record<string, string> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i] as string] = flat[i + 1] as string;
      return decodeRecord(fields);
    },
    async update(id, fields, running) {
      if (running === undefined) {
        await redis.hset(jobKey(id), encodeRecord(fields));
        return;
      }
      await updateRunningScript(redis, [jobKey(id), runningSetKey], [id, running ? 1 : 0, ...Object.entries(encodeRecord(fields)).flat()]);
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
