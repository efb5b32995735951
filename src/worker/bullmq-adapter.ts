/**
 * The only place that speaks BullMQ's language: runs a job, records its
 * outcome in the job record, then turns the outcome into BullMQ's signals
 * (return value, retryable Error, UnrecoverableError, DelayedError).
 */
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { MediadError } from '../errors.ts';
import { computeRetryDelay } from '../engine/retry-delay.ts';
import type { FileInfo, JobRecord } from '../queue/job-record.ts';
import type { JobStore } from '../queue/job-store.ts';
import type { JobOutcome } from './outcome.ts';

export interface ProcessorDeps {
  readonly store: JobStore;
  readonly now: () => number;
  readonly run: (record: JobRecord, job: Job, signal: AbortSignal) => Promise<JobOutcome>;
  /**
   * Removes a finished job's partial folder. Called only once the record says completed: until then the
   * folder's done marker is what lets a run after a crash report the file instead of fetching it again.
   */
  readonly cleanUp: (record: JobRecord) => Promise<void> | void;
}

/** Carries a server's Retry-After to the backoff strategy through BullMQ. */
class RetryableJobError extends Error {
  constructor(readonly failure: MediadError) {
    super(`${failure.code}: ${failure.message}`);
  }
}

export function createBackoffStrategy(baseDelayMs: number, maxDelayMs: number, random = Math.random) {
  return (attemptsMade: number, _type?: string, error?: Error): number =>
    computeRetryDelay({ attempt: attemptsMade, baseDelayMs, maxDelayMs, retryAfterMs: error instanceof RetryableJobError ? error.failure.retryAfterMs : undefined, random: random() });
}

export function createProcessor(deps: ProcessorDeps) {
  return async (job: Job, token: string | undefined, signal?: AbortSignal): Promise<FileInfo> => {
    const id = job.id as string;
    const iso = () => new Date(deps.now()).toISOString();
    const record = await deps.store.claim(id, job.attemptsMade + 1, iso()); // marked active unless one of the two cases below
    if (!record) throw new UnrecoverableError(`MEDIAD_ERR_NOT_FOUND: no record for job ${id}`);
    if (record.state === 'completed' && record.file) { // finished before a crash hid it from BullMQ
      await deps.cleanUp(record);
      return record.file;
    }
    if (record.cancelRequestedAt) {
      await deps.store.update(id, { state: 'canceled', error: new MediadError('MEDIAD_ERR_CANCELED').toJSON(), finishedAt: iso() });
      throw new UnrecoverableError('MEDIAD_ERR_CANCELED');
    }
    const outcome = await deps.run(record, job, signal ?? new AbortController().signal);
    return await applyOutcome(outcome, record, job, token, deps, iso);
  };
}

async function applyOutcome(outcome: JobOutcome, record: JobRecord, job: Job, token: string | undefined, deps: ProcessorDeps, iso: () => string): Promise<FileInfo> {
  const id = record.id;
  switch (outcome.kind) {
    case 'done': {
      const size = outcome.file.size;
      await deps.store.update(id, {
        state: 'completed', file: outcome.file, error: null, finishedAt: iso(),
        progress: { stage: 'done', downloadedBytes: size, totalBytes: size, bytesPerSecond: 0, etaSeconds: 0 },
      }, false);
      await deps.cleanUp(record);
      return outcome.file;
    }
    case 'retry': {
      const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      await deps.store.update(id, { state: last ? 'failed' : 'queued', error: outcome.error.toJSON(), ...(last ? { finishedAt: iso() } : {}) }, false);
      throw new RetryableJobError(outcome.error);
    }
    case 'fatal':
      await deps.store.update(id, { state: 'failed', error: outcome.error.toJSON(), finishedAt: iso() }, false);
      throw new UnrecoverableError(`${outcome.error.code}: ${outcome.error.message}`);
    case 'canceled':
      await deps.store.update(id, { state: 'canceled', error: new MediadError('MEDIAD_ERR_CANCELED').toJSON(), finishedAt: iso() }, false);
      throw new UnrecoverableError('MEDIAD_ERR_CANCELED');
    case 'interrupted':
      if (outcome.reason === 'lock-lost') throw new Error('job lock lost; another worker owns this job now');
      await deps.store.update(id, { state: 'queued' }, false);
      await job.moveToDelayed(deps.now(), token); // back to the queue at once, without spending an attempt
      throw new DelayedError();
  }
}
