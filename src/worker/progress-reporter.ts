/**
 * Carries a running job's progress to its Redis record at a steady pace
 * (so the API sees it at least once a second) and notices a cancel request
 * on the same tick.
 */
import type { JobStore } from '../queue/job-store.ts';
import type { Progress, ProgressStage } from '../queue/job-record.ts';
import { addSample, bytesPerSecond, etaSeconds, type Sample } from './progress-meter.ts';

const sampleEveryMs = 100;

export interface ProgressReporter {
  stage(stage: ProgressStage): void;
  bytes(downloadedBytes: number, totalBytes: number | null): void;
  percent(percent: number): void;
  stop(): Promise<void>;
}

export interface ProgressReporterOptions {
  readonly store: Pick<JobStore, 'update' | 'isCancelRequested'>;
  readonly jobId: string;
  readonly intervalMs: number;
  readonly now: () => number;
  readonly onCancelRequested: () => void;
  readonly onError: (error: unknown) => void;
  readonly initial: Progress;
}

export function startProgressReporter(options: ProgressReporterOptions): ProgressReporter {
  let progress: Progress = options.initial;
  let samples: Sample[] = [];
  let dirty = true;
  let flushing: Promise<void> | undefined;

  const flush = async () => {
    const speed = bytesPerSecond(samples);
    progress = { ...progress, bytesPerSecond: speed, etaSeconds: etaSeconds(progress.downloadedBytes, progress.totalBytes, speed) };
    if (dirty) {
      dirty = false;
      await options.store.update(options.jobId, { progress });
    }
    if (await options.store.isCancelRequested(options.jobId)) options.onCancelRequested();
  };
  const timer = setInterval(() => {
    if (flushing) return;
    flushing = flush().catch(options.onError).finally(() => { flushing = undefined; });
  }, options.intervalMs);

  return {
    stage(stage) {
      if (stage === progress.stage) return;
      progress = { ...progress, stage, ...(stage.startsWith('downloading') ? { downloadedBytes: 0, totalBytes: null } : {}) };
      samples = [];
      dirty = true;
    },
    bytes(downloadedBytes, totalBytes) {
      const now = options.now();
      // called for every chunk: keep one speed sample per 100 ms, not one per chunk
      if (now - (samples[samples.length - 1]?.atMs ?? -Infinity) >= sampleEveryMs) samples = addSample(samples, { atMs: now, bytes: downloadedBytes });
      progress = { ...progress, downloadedBytes, totalBytes };
      dirty = true;
    },
    percent(percent) {
      progress = { ...progress, percent };
      dirty = true;
    },
    async stop() {
      clearInterval(timer);
      await flushing;
    },
  };
}
