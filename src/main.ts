/**
 * Composition root of the daemon: read config, build the logger, start (or
 * connect to) Redis, start the worker pool and the HTTP API, and stop them
 * in order on SIGTERM/SIGINT.
 */
import { mkdir } from 'node:fs/promises';
import { Queue } from 'bullmq';
import { pino, type Logger } from 'pino';
import { loadConfig, type Config } from './config.ts';
import { MediadError } from './errors.ts';
import { buildApiServer } from './api/server.ts';
import { registerLimitsRoutes } from './api/limits-routes.ts';
import { registerResolveRoute } from './api/resolve-route.ts';
import type { HttpClient } from './engine/http-client.ts';
import { validateJobOptions } from './sources/select-formats.ts';
import { createUrlResolver } from './sources/resolve-url.ts';
import { addressPolicyFor } from './engine/address-policy.ts';
import { assertHostAllowed } from './engine/url-guard.ts';
import { partialFolder } from './engine/partial-paths.ts';
import { sweepDeadSpares } from './engine/spare-files.ts';
import { createLimitsStore } from './limits/limits-store.ts';
import { createDownloadService } from './queue/download-service.ts';
import { createJobStore } from './queue/job-store.ts';
import { bullPrefix, queueName } from './queue/keys.ts';
import { connectRedis, describeTarget, waitForReady, type RedisTarget } from './redis/connection.ts';
import { startEmbeddedRedis, type EmbeddedRedis } from './redis/embedded.ts';
import { startWorkerPool } from './supervisor/pool.ts';
import { tierUpSooner } from './v8-tier-up.ts';

async function pingWithin(ping: () => Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); });
  try {
    return await Promise.race([ping().then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function start(config: Config, logger: Logger): Promise<void> {
  await mkdir(config.downloadDir, { recursive: true });
  await mkdir(config.stateDir, { recursive: true });
  let embedded: EmbeddedRedis | undefined;
  let target: RedisTarget;
  if (config.redisUrl) {
    target = { url: config.redisUrl };
  } else {
    embedded = await startEmbeddedRedis({ stateDir: config.stateDir, appendFsync: config.embeddedRedisAppendFsync, log: logger.child({ part: 'redis' }) });
    target = embedded.target;
  }
  const redis = connectRedis(target, 'api', 'mediad-api');
  redis.on('error', (error) => logger.debug({ err: error.message }, 'redis connection error'));
  await waitForReady(redis, 30_000);
  logger.info({ redis: describeTarget(target) }, 'redis connected');

  const queue = new Queue(queueName, { connection: redis, prefix: bullPrefix });
  queue.on('error', (error) => logger.debug({ err: error.message }, 'queue error'));
  const store = createJobStore(redis);
  const orphaned = await store.requeueOrphanedRuns();
  if (orphaned.length > 0) logger.info({ jobIds: orphaned }, 'jobs interrupted by the last stop will resume from their checkpoints');
  const limits = createLimitsStore(redis, config.rateLimitBytesPerSecond);
  await limits.write({ globalBytesPerSecond: config.rateLimitBytesPerSecond }); // config is the boot value; PUT /v1/limits overrides it until the next start
  const sweep = () => {
    const swept = sweepDeadSpares(partialFolder(config.downloadDir));
    if (swept.length > 0) logger.info({ removed: swept.length }, 'removed spare lock files of workers that are gone');
  };
  sweep(); // before any worker starts: every spare there is a dead process's
  const pool = startWorkerPool({ onWorkerDied: sweep, size: config.workers, env: { ...process.env, MEDIAD_INTERNAL_REDIS: JSON.stringify(target) }, log: logger.child({ part: 'pool' }) });
  const isAddressAllowed = addressPolicyFor(config.allowPrivateNetworks);
  const checkHost = config.allowPrivateNetworks ? async () => undefined : (url: string) => assertHostAllowed(url, isAddressAllowed);
  // built on the first /v1/resolve: youtubei.js and undici are ~60 MiB the supervisor does not need otherwise
  let http: HttpClient | undefined;
  let resolve: ReturnType<typeof createUrlResolver> | undefined;
  const resolveLazily: ReturnType<typeof createUrlResolver> = async (url, signal) => {
    if (!resolve) {
      const [{ installPlayerEvaluator }, { createHttpClient }] = await Promise.all([import('./sources/js-evaluator.ts'), import('./engine/http-client.ts')]);
      installPlayerEvaluator();
      http ??= createHttpClient({
        isAddressAllowed, connectTimeoutMs: config.connectTimeoutMs, stallTimeoutMs: config.stallTimeoutMs,
        perHostConnections: config.perHostConnections, maxRedirects: config.maxRedirects,
      });
      resolve = createUrlResolver(config, http.fetch);
    }
    return resolve(url, signal);
  };
  const downloads = createDownloadService({
    queue, store, maxAttempts: config.maxAttempts, downloadDir: config.downloadDir, now: Date.now,
    stopRunningJob: (jobId) => pool.broadcast({ type: 'cancel', jobId }),
  });
  const queued = await downloads.requeueQueued();
  if (queued > 0) logger.info({ queued }, 'queued downloads checked against the queue (a missing entry is added)');
  const app = await buildApiServer({
    logger: logger.child({ part: 'api' }),
    store,
    downloads,
    checkHost,
    validateMediaOptions: (kind, options) => {
      const problem = kind === 'file' ? undefined : validateJobOptions(kind, options);
      if (problem) throw problem;
    },
    pingRedis: () => pingWithin(() => redis.ping(), 1000),
    workers: () => ({ size: pool.size, jobsPerWorker: config.jobsPerWorker, busy: pool.busyCount(), pids: pool.pids() }),
    registerMore: async (server) => {
      await registerLimitsRoutes(server, { limits, onChange: () => pool.broadcast({ type: 'limits-changed' }) });
      await registerResolveRoute(server, { resolve: resolveLazily, checkHost, timeoutMs: 60_000 });
    },
  });
  await app.listen({ host: config.host, port: config.port });
  logger.info({ host: config.host, port: config.port, workers: config.workers, jobsPerWorker: config.jobsPerWorker, downloadDir: config.downloadDir }, 'mediad listening');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const deadline = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 1500);
    deadline.unref();
    logger.info({ signal }, 'stopping: no new jobs, checkpointing active downloads');
    await app.close().catch(() => undefined);
    await pool.shutdown(config.shutdownTimeoutMs);
    await queue.close().catch(() => undefined);
    await http?.close().catch(() => undefined);
    redis.disconnect();
    await embedded?.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

let config: Config;
tierUpSooner();
try {
  config = loadConfig();
} catch (error) {
  process.stderr.write(`mediad: ${(error as Error).message}\n`);
  process.exit(78); // EX_CONFIG
}
const logger = pino({ level: config.logLevel, base: { pid: process.pid, role: 'supervisor' } });
start(config, logger).catch((error: unknown) => {
  const code = error instanceof MediadError ? error.code : 'MEDIAD_ERR_INTERNAL';
  logger.fatal({ code, err: (error as Error).message }, 'mediad failed to start');
  process.exit(1);
});
