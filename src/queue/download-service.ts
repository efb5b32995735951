/** What the API does to jobs: enqueue, cancel, retry. BullMQ carries only `{ id }`; the record is the truth the API shows. */
import { createHash, randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import { MediadError } from '../errors.ts';
import { removeJobPartial } from '../engine/partial-paths.ts';
import { initialProgress, terminalStates, type JobRecord, type JobRequest } from './job-record.ts';
import type { JobStore } from './job-store.ts';
import { idempotencyKey, listIdempotencyKey, listItemIdempotencyKey } from './keys.ts';

export interface DownloadService {
  enqueue(request: JobRequest, idempotencyKey?: string): Promise<{ record: JobRecord; created: boolean }>;
  /**
   * Queues a list in order, in a few round trips. With a key, the list is idempotent as a whole: the same list again
   * replays its jobs (and creates those a failed first attempt did not), a different list is refused.
   */
  enqueueMany(requests: readonly JobRequest[], idempotencyKey?: string): Promise<{ record: JobRecord; created: boolean }[]>;
  /** At daemon start: gives every queued record its queue entry (a crash or a Redis failure between the two left it without one). */
  requeueQueued(): Promise<number>;
  cancel(id: string): Promise<JobRecord>;
  retry(id: string): Promise<JobRecord>;
}

export interface DownloadServiceDeps {
  readonly queue: Queue;
  readonly store: JobStore;
  readonly maxAttempts: number;
  readonly downloadDir: string;
  readonly now: () => number;
  /** Tells the workers to stop a running job now (the progress tick would notice within a second anyway). */
  readonly stopRunningJob: (id: string) => void;
}

/** Higher `priority` runs first; BullMQ runs lower numbers first and wants 1…2^21. */
export function bullPriority(priority: number): number {
  return 101 - priority;
}

const removableStates = new Set(['waiting', 'delayed', 'prioritized', 'paused', 'waiting-children']);

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const conflict = () => new MediadError('MEDIAD_ERR_IDEMPOTENCY_CONFLICT', 'this Idempotency-Key was sent with a different request in the last 24 h');

/**
 * A record is created before its queue entry is added. A replay of a record still queued adds the entry again, so a
 * request that failed between the two is completed by sending it again: BullMQ ignores a jobId it holds, and a
 * record that is active or ended keeps whatever entry it has (adding one would run it again).
 */
const needsQueueEntry = (result: { record: JobRecord; created: boolean }) => result.created || result.record.state === 'queued';

export function createDownloadService(deps: DownloadServiceDeps): DownloadService {
  const iso = () => new Date(deps.now()).toISOString();
  const queueEntryOf = (record: JobRecord) => ({
    name: 'download', data: { id: record.id },
    opts: {
      jobId: record.id, priority: bullPriority(record.request.priority), attempts: deps.maxAttempts,
      backoff: { type: 'mediad' }, removeOnComplete: { count: 1000 }, removeOnFail: { count: 10_000 },
    },
  });
  const addToQueue = async (record: JobRecord) => {
    const entry = queueEntryOf(record);
    await deps.queue.add(entry.name, entry.data, entry.opts);
  };
  const create = (request: JobRequest, idempotencyKey?: string) => deps.store.create((seq) => ({
    id: randomUUID(), seq, request, state: 'queued', progress: initialProgress, attempts: 0, error: null, file: null,
    createdAt: iso(), startedAt: null, finishedAt: null, cancelRequestedAt: null,
  }), idempotencyKey);
  const mustGet = async (id: string) => {
    const record = await deps.store.get(id);
    if (!record) throw new MediadError('MEDIAD_ERR_NOT_FOUND', `no download with id ${id}`);
    return record;
  };

  return {
    async enqueue(request, key) {
      const result = await create(request, key === undefined ? undefined : idempotencyKey(key));
      if (!result.created && JSON.stringify(result.record.request) !== JSON.stringify(request)) throw conflict();
      if (needsQueueEntry(result)) await addToQueue(result.record);
      return result;
    },

    async enqueueMany(requests, key) {
      let itemKey: ((index: number) => string) | undefined;
      if (key !== undefined) {
        const keyHash = sha256(key);
        const fingerprint = sha256(JSON.stringify(requests));
        const held = await deps.store.setOnce(listIdempotencyKey(keyHash), fingerprint);
        if (held !== undefined && held !== fingerprint) throw conflict();
        itemKey = (index) => listItemIdempotencyKey(keyHash, index);
      }
      // issued together, the creates share round trips on the one connection and keep their order (seq = list order)
      const results = await Promise.all(requests.map((request, index) => create(request, itemKey?.(index))));
      const entries = results.filter(needsQueueEntry).map((result) => queueEntryOf(result.record));
      if (entries.length > 0) await deps.queue.addBulk(entries);
      return results;
    },

    async requeueQueued() {
      let requeued = 0;
      for (let cursor: string | undefined; ;) {
        const page = await deps.store.list({ state: 'queued', limit: 500, cursor });
        if (page.jobs.length > 0) await deps.queue.addBulk(page.jobs.map(queueEntryOf));
        requeued += page.jobs.length;
        if (page.nextCursor === null) return requeued;
        cursor = page.nextCursor;
      }
    },

    async cancel(id) {
      const record = await mustGet(id);
      if (record.state === 'canceled') return record;
      if (terminalStates.has(record.state)) throw new MediadError('MEDIAD_ERR_NOT_CANCELABLE', `download ${id} is already ${record.state}`);
      await deps.store.update(id, { cancelRequestedAt: iso() });
      const job = await deps.queue.getJob(id);
      let removed = !job;
      if (job && removableStates.has(await job.getState())) {
        removed = await job.remove().then(() => true, () => false); // fails when a worker took it meanwhile
      }
      if (removed) {
        await deps.store.update(id, { state: 'canceled', error: new MediadError('MEDIAD_ERR_CANCELED').toJSON(), finishedAt: iso() });
        await removeJobPartial(deps.downloadDir, id); // a retry wait may have left partial data
      } else {
        deps.stopRunningJob(id);
      }
      return mustGet(id);
    },

    async retry(id) {
      const record = await mustGet(id);
      if (record.state !== 'failed') throw new MediadError('MEDIAD_ERR_NOT_CANCELABLE', `only failed downloads can be retried; ${id} is ${record.state}`);
      await (await deps.queue.getJob(id))?.remove();
      await deps.store.update(id, { state: 'queued', error: null, finishedAt: null, cancelRequestedAt: null });
      await addToQueue(record);
      return mustGet(id);
    },
  };
}
