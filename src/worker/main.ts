/**
 * Composition root of one worker process: it runs up to `jobsPerWorker`
 * downloads at once (BullMQ concurrency), sharing one HTTP client and one Redis
 * connection, so the daemon runs workers × jobsPerWorker downloads in all.
 */
import { rm } from 'node:fs/promises';
import { Worker, type Job } from 'bullmq';
import { pino } from 'pino';
import { loadConfig } from '../config.ts';
import { addressPolicyFor } from '../engine/address-policy.ts';
import { createHttpClient } from '../engine/http-client.ts';
import { partialJobDir, removeFinishedFileJobPartial } from '../engine/partial-paths.ts';
import { createRateLimiter } from '../engine/rate-limiter.ts';
import { keepAsSpare } from '../engine/spare-files.ts';
import { jobLimitOf } from '../limits/fair-share.ts';
import { createSharedLimit } from '../limits/shared-limit.ts';
import { initialProgress, type JobRecord } from '../queue/job-record.ts';
import { createJobStore } from '../queue/job-store.ts';
import { bullPrefix, queueName } from '../queue/keys.ts';
import { connectRedis, type RedisTarget } from '../redis/connection.ts';
import { createBackoffStrategy, createProcessor } from './bullmq-adapter.ts';
import { isToWorker, type FromWorker } from './messages.ts';
import { exitWhenParentDies } from './parent-watch.ts';
import { oneRunPerJob } from './one-run-per-job.ts';
import { startProgressReporter } from './progress-reporter.ts';
import { runFileJob } from './run-file-job.ts';
import type { ResolveUrl } from '../sources/resolve-url.ts';
import type { JobOutcome } from './outcome.ts';
import { tierUpSooner } from '../v8-tier-up.ts';

tierUpSooner();
const config = loadConfig();
const logger = pino({ level: config.logLevel, base: { pid: process.pid, role: 'worker' } });
exitWhenParentDies(() => {
  logger.warn('supervisor is gone; exiting at once so no orphan keeps writing');
  process.exit(70);
});

const send = (message: FromWorker) => process.send?.(message);
const redisTarget = JSON.parse(process.env.MEDIAD_INTERNAL_REDIS ?? 'null') as RedisTarget | null;
if (!redisTarget) throw new Error('worker started without MEDIAD_INTERNAL_REDIS; workers are started by the daemon');
const connection = connectRedis(redisTarget, 'worker', `mediad-worker-${process.pid}`);
connection.on('error', (error) => logger.debug({ err: error.message }, 'redis connection error'));
const store = createJobStore(connection);
const http = createHttpClient({
  isAddressAllowed: addressPolicyFor(config.allowPrivateNetworks), connectTimeoutMs: config.connectTimeoutMs,
  stallTimeoutMs: config.stallTimeoutMs, perHostConnections: config.perHostConnections, maxRedirects: config.maxRedirects,
});
const sharedLimit = createSharedLimit({
  redis: connection, now: Date.now, processId: String(process.pid), fallbackBytesPerSecond: config.rateLimitBytesPerSecond,
  onError: (error) => logger.debug({ err: (error as Error).message }, 'bandwidth limit refresh failed; keeping the last known limit'),
});
// Media modules (youtubei.js alone is ~45 MiB resident) load on the first video/audio job, so file-only workers stay small.
let media: Promise<{ run: typeof import('./run-media-job.ts').runMediaJob; resolve: ResolveUrl }> | undefined;
const loadMedia = () => (media ??= (async () => {
  const [{ runMediaJob }, { createUrlResolver }, { installPlayerEvaluator }] = await Promise.all([
    import('./run-media-job.ts'), import('../sources/resolve-url.ts'), import('../sources/js-evaluator.ts'),
  ]);
  installPlayerEvaluator(); // youtubei.js deciphers stream URLs with YouTube's player code: run it in node:vm with a time limit
  return { run: runMediaJob, resolve: createUrlResolver(config, http.fetch) };
})());
const settings = {
  connections: config.connections, minSegmentBytes: config.minSegmentBytes,
  checkpointIntervalBytes: config.checkpointIntervalBytes, checkpointIntervalMs: config.checkpointIntervalMs,
  directWrites: config.directWrites,
};

// One run per job in this process. The supervisor hears which jobs run here (health's `busy`, and the log line when
// a worker dies) within 50 ms of a change, not at each one: small files made two IPC messages per download.
const runs = oneRunPerJob();
const jobsReportDelayMs = 50;
let jobsReport: NodeJS.Timeout | undefined;
const reportJobs = () => {
  jobsReport ??= setTimeout(() => {
    jobsReport = undefined;
    send({ type: 'jobs', jobIds: runs.running() });
  }, jobsReportDelayMs);
};

async function runJob(record: JobRecord, job: Job, signal: AbortSignal): Promise<JobOutcome> {
  const result = runs.run(record.id, () => runJobOnce(record, job, signal));
  reportJobs();
  try {
    return await result;
  } finally {
    reportJobs();
  }
}

async function runJobOnce(record: JobRecord, _job: Job, signal: AbortSignal): Promise<JobOutcome> {
  const log = logger.child({ jobId: record.id });
  const controller = new AbortController();
  const forward = () => controller.abort(signal.reason);
  if (signal.aborted) forward();
  signal.addEventListener('abort', forward, { once: true });
  const progress = startProgressReporter({
    store, jobId: record.id, intervalMs: config.progressIntervalMs, now: Date.now, initial: record.progress ?? initialProgress,
    onCancelRequested: () => controller.abort('canceled'),
    onError: (error) => log.debug({ err: (error as Error).message }, 'progress update failed'),
  });
  log.info({ url: record.request.url, kind: record.request.kind }, 'job started');
  const bandwidth = await sharedLimit.join(record.id, jobLimitOf(record.request.options)); // never rejects
  try {
    const { throttle } = createRateLimiter({ now: Date.now, rateBytesPerSecond: bandwidth.rateBytesPerSecond }); // per job: a fresh bucket, no debt carried over
    const context = { http, settings, downloadDir: config.downloadDir, signal: controller.signal, log, now: Date.now, progress, throttle, hashFiles: config.hashFiles };
    const outcome = record.request.kind === 'file'
      ? await runFileJob(record, context)
      : await loadMedia().then(({ run, resolve }) => run(record, { ...context, resolve, ffmpegPath: config.ffmpeg.path, ffprobePath: config.ffprobe.path, outputTemplate: config.output.template }));
    log.info({ outcome: outcome.kind, ...('error' in outcome ? { code: outcome.error.code, err: outcome.error.message } : {}) }, 'job ended');
    return outcome;
  } finally {
    bandwidth.leave();
    signal.removeEventListener('abort', forward);
    await progress.stop();
  }
}

// A file job leaves a few small files (its data is the finished file now): synchronous unlinks are cheaper than
// thread-pool hand-offs (see engine/partial-lock.ts). A media job's folder holds its streams, whose unlinks free gigabytes.
async function cleanUp(record: JobRecord): Promise<void> {
  try {
    if (record.request.kind === 'file') removeFinishedFileJobPartial(config.downloadDir, record.id, keepAsSpare);
    else await rm(partialJobDir(config.downloadDir, record.id), { recursive: true, force: true });
  } catch (error) {
    logger.warn({ jobId: record.id, err: (error as Error).message }, 'could not remove the partial files of a finished job');
  }
}
const worker = new Worker(queueName, createProcessor({ store, now: Date.now, run: runJob, cleanUp }), {
  connection, prefix: bullPrefix, concurrency: config.jobsPerWorker, lockDuration: config.jobLockMs, stalledInterval: config.stalledCheckIntervalMs,
  maxStalledCount: 1_000_000, // a job whose worker died is resumed from its checkpoint, never failed for it
  settings: { backoffStrategy: createBackoffStrategy(config.retryBaseDelayMs, config.retryMaxDelayMs) },
});
worker.on('error', (error) => logger.warn({ err: error.message }, 'worker error'));
worker.on('lockRenewalFailed', (jobIds: string[]) => {
  // a blocked event loop or a stalled Redis outlasted the lock: the job may already run elsewhere, from its last checkpoint
  logger.warn({ jobIds, lockMs: config.jobLockMs }, 'job lock lost; stopping these jobs here');
  for (const jobId of jobIds) worker.cancelJob(jobId, 'lock-lost'); // another worker may own it now: stop writing
});

let closing = false;
async function shutdown(why: string): Promise<void> {
  if (closing) return;
  closing = true;
  logger.info({ why }, 'worker stopping: checkpointing the active downloads');
  worker.cancelAllJobs('shutdown');
  await worker.close().catch((error: Error) => logger.warn({ err: error.message }, 'worker close failed'));
  await http.close().catch(() => undefined);
  connection.disconnect();
  process.exit(0);
}

process.on('message', (message) => {
  if (!isToWorker(message)) return;
  if (message.type === 'cancel') worker.cancelJob(message.jobId, 'canceled');
  else if (message.type === 'limits-changed') sharedLimit.limitChanged();
  else void shutdown('supervisor asked');
});
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
worker.waitUntilReady().then(() => send({ type: 'ready' }), (error: Error) => logger.error({ err: error.message }, 'worker failed to start'));
