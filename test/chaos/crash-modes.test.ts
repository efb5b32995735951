/** Each way a daemon can be stopped, one at a time: supervisor-only SIGKILL, SIGTERM/SIGINT, Redis restart. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { stat, writeFile } from 'node:fs/promises';
import { fileJobPartial, partialFile } from '../../src/engine/partial-paths.ts';
import { startDaemon, type Daemon } from '../helpers/daemon.ts';
import { randomBytesSeeded, sha256, sha256File, startOrigin, type Origin } from '../helpers/origin.ts';
import { isAlive } from '../helpers/process-tree.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { fastDaemonEnv, MiB } from '../helpers/env.ts';
import { chooseSeed } from '../helpers/seeded-random.ts';

const seed = chooseSeed('crash-modes');

async function startSlowDownload(daemon: Daemon, origin: Origin, name: string, bytes: number, rate = MiB): Promise<{ id: string; data: Buffer }> {
  const data = randomBytesSeeded(bytes, seed + bytes + name.length);
  origin.setFile(`/${name}`, data);
  origin.behave(`/${name}`, { throttleBytesPerSecond: rate });
  const response = await daemon.api('POST', '/v1/downloads', { url: origin.url(`/${name}`) });
  assert.equal(response.status, 201);
  return { id: response.body.id, data };
}

const partialData = (daemon: Daemon, id: string) => partialFile(fileJobPartial(daemon.downloadDir, id), 'data');

describe('crash modes', () => {
  let origin: Origin;
  before(async () => { origin = await startOrigin(); });
  after(async () => { await origin?.close(); });

  it('kill -9 of the supervisor alone: within 2 s no orphaned worker keeps writing, and a restart finishes the file', async () => {
    const daemon = await startDaemon({ workers: 2, env: { ...fastDaemonEnv, MEDIAD_CONNECTIONS: '2', MEDIAD_MIN_SEGMENT_BYTES: String(MiB) } });
    try {
      const { id, data } = await startSlowDownload(daemon, origin, 'orphan.bin', 10 * MiB);
      await daemon.waitForJob(id, (job) => job.progress.downloadedBytes > MiB, { timeoutMs: 15_000 });
      const workers = (await daemon.api('GET', '/v1/health')).body.workers.pids as number[];
      const exit = await daemon.kill('SIGKILL');
      assert.equal(exit.signal, 'SIGKILL');
      const killedAt = Date.now();
      await waitFor(() => workers.every((pid) => !isAlive(pid)), { timeoutMs: 2000, intervalMs: 20, what: 'every worker gone within 2 s of the supervisor' });
      console.log(`# workers gone ${Date.now() - killedAt} ms after the supervisor`);
      const first = await stat(partialData(daemon, id));
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const second = await stat(partialData(daemon, id));
      assert.equal(second.mtimeMs, first.mtimeMs, 'nobody writes the partial file any more');
      assert.equal(second.size, first.size);
      await daemon.restart();
      const job = await daemon.waitForState(id, 'completed', 60_000);
      assert.equal(await sha256File(job.file.path), sha256(data));
      assert.ok(origin.bytesServed('/orphan.bin') <= data.length + 2 * MiB, `served ${origin.bytesServed('/orphan.bin')}`);
    } finally {
      await daemon.cleanup();
    }
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal}: checkpoints, exits within 10 s, and the next start resumes from the checkpoint`, async () => {
      const daemon = await startDaemon({ workers: 2, env: { ...fastDaemonEnv, MEDIAD_CONNECTIONS: '1' } });
      try {
        const name = `${signal.toLowerCase()}.bin`;
        const { id, data } = await startSlowDownload(daemon, origin, name, 8 * MiB);
        await daemon.waitForJob(id, (job) => job.progress.downloadedBytes > 2 * MiB, { timeoutMs: 15_000 });
        const exit = await daemon.kill(signal);
        console.log(`# ${signal}: exited with code ${exit.code} after ${exit.exitedAfterMs} ms`);
        assert.equal(exit.code, 0);
        assert.ok(exit.exitedAfterMs <= 10_000, `exited after ${exit.exitedAfterMs} ms`);
        const servedAtStop = origin.bytesServed(`/${name}`);
        const onDisk = (await stat(partialData(daemon, id))).size;
        assert.ok(onDisk >= servedAtStop - 256 * 1024, `checkpointed ${onDisk} of ${servedAtStop} served bytes`);
        await daemon.restart();
        const shown = (await daemon.api('GET', `/v1/downloads/${id}`)).body;
        assert.ok(shown.progress.downloadedBytes >= 2 * MiB, `API shows the resumed offset (${shown.progress.downloadedBytes}) right after restart`);
        const job = await daemon.waitForState(id, 'completed', 60_000);
        assert.equal(await sha256File(job.file.path), sha256(data));
        const resumed = origin.requests.filter((r) => r.path === `/${name}`);
        assert.ok(resumed.length >= 2 && resumed[resumed.length - 1]?.range?.startsWith(`bytes=${onDisk}-`), `resumed at ${onDisk}: ${JSON.stringify(resumed.map((r) => r.range))}`);
        assert.ok(origin.bytesServed(`/${name}`) <= data.length + 256 * 1024, `served ${origin.bytesServed(`/${name}`)} for ${data.length}`);
        assert.equal(job.attempts, 1, 'a graceful stop does not spend an attempt');
      } finally {
        await daemon.cleanup();
      }
    });
  }

  it('discards a torn checkpoint after a crash, says why in the log, and still ends byte-identical', async () => {
    const daemon = await startDaemon({ workers: 1, env: { ...fastDaemonEnv, MEDIAD_CONNECTIONS: '1' } });
    try {
      const { id, data } = await startSlowDownload(daemon, origin, 'torn.bin', 4 * MiB);
      await daemon.waitForJob(id, (job) => job.progress.downloadedBytes > MiB, { timeoutMs: 15_000 });
      await daemon.killTree();
      await writeFile(partialFile(fileJobPartial(daemon.downloadDir, id), 'checkpoint'), '{"version":1,"url":"http://tor');
      const requestsBefore = origin.requests.length;
      origin.behave('/torn.bin', { throttleBytesPerSecond: 8 * MiB });
      await daemon.restart();
      const job = await daemon.waitForState(id, 'completed', 60_000);
      assert.equal(await sha256File(job.file.path), sha256(data));
      const discarded = daemon.logs.find((line) => line.jobId === id && String(line.msg).includes('checkpoint discarded'));
      assert.ok(discarded && String(discarded.reason).includes('JSON'), `logged why: ${JSON.stringify(discarded)}`);
      assert.equal(origin.requests.slice(requestsBefore).find((r) => r.path === '/torn.bin')?.range, 'bytes=0-', 'restarted from zero');
    } finally {
      await daemon.cleanup();
    }
  });

  it('a worker frozen past its job lock (SIGSTOP) says so on waking, stops, and the job still ends byte-identical', async () => {
    const daemon = await startDaemon({ workers: 2, env: { ...fastDaemonEnv, MEDIAD_CONNECTIONS: '1' } });
    try {
      const { id, data } = await startSlowDownload(daemon, origin, 'frozen.bin', 6 * MiB, 2 * MiB);
      const before = await daemon.waitForJob(id, (job) => job.progress.downloadedBytes > MiB, { timeoutMs: 15_000 });
      const holder = daemon.logs.find((line) => line.jobId === id && line.msg === 'job started')?.pid as number;
      assert.ok(holder, 'the log names the worker running the job');
      process.kill(holder, 'SIGSTOP');
      try {
        await new Promise((resolve) => setTimeout(resolve, 4500)); // fastDaemonEnv's lock is 3 s
      } finally {
        process.kill(holder, 'SIGCONT');
      }
      const lost = await waitFor(() => daemon.logs.find((line) => line.pid === holder && line.msg === 'job lock lost; stopping these jobs here'), {
        timeoutMs: 10_000, what: 'the frozen worker logs its lost lock',
      });
      assert.deepEqual(lost.jobIds, [id]);
      await waitFor(() => daemon.logs.some((line) => line.pid === holder && line.jobId === id && line.msg === 'job ended' && line.outcome === 'interrupted'), {
        timeoutMs: 10_000, what: 'the frozen worker stops its run',
      });
      const job = await daemon.waitForState(id, 'completed', 60_000);
      assert.equal(await sha256File(job.file.path), sha256(data));
      // The origin keeps sending into socket buffers while the worker is stopped (MiBs on loopback); those bytes never
      // reached the frozen worker's file, so "served" counts them twice. What it wrote before the freeze is kept.
      const ranges = origin.requests.filter((r) => r.path === '/frozen.bin').map((r) => r.range ?? '');
      const resumedAt = Number(/^bytes=(\d+)-/.exec(ranges.at(-1) ?? '')?.[1]);
      assert.ok(ranges.length >= 2 && resumedAt >= before.progress.downloadedBytes, `resumed at ${resumedAt}, ${before.progress.downloadedBytes} were written before the freeze: ${ranges}`);
    } finally {
      await daemon.cleanup();
    }
  });

  describe('Redis restart', () => {
    let redis: RedisServer;
    let daemon: Daemon;
    before(async () => {
      redis = await startRedis({ appendonly: true });
      daemon = await startDaemon({ workers: 2, redisUrl: redis.url, env: { ...fastDaemonEnv, MEDIAD_CONNECTIONS: '1' } });
    });
    after(async () => {
      await daemon?.cleanup();
      await redis?.cleanup();
    });

    it('answers 503 while Redis is down, keeps running, and loses nothing once Redis is back', async () => {
      const { id, data } = await startSlowDownload(daemon, origin, 'redis-outage.bin', 6 * MiB);
      await daemon.waitForJob(id, (job) => job.progress.downloadedBytes > MiB, { timeoutMs: 15_000 });
      const daemonPid = daemon.pid;
      await redis.kill();
      const health = await daemon.api('GET', '/v1/health');
      assert.equal(health.status, 503);
      assert.equal(health.body.redis, 'down');
      const status = await daemon.api('GET', `/v1/downloads/${id}`);
      assert.equal(status.status, 503);
      assert.equal(status.body.error.code, 'MEDIAD_ERR_REDIS_UNAVAILABLE');
      const enqueue = await daemon.api('POST', '/v1/downloads', { url: origin.url('/redis-outage.bin'), filename: 'during-outage.bin' });
      assert.equal(enqueue.status, 503);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      await redis.restart();
      await waitFor(async () => (await daemon.api('GET', '/v1/health')).status === 200, { timeoutMs: 10_000, what: 'health back to 200' });
      const job = await daemon.waitForState(id, 'completed', 60_000);
      assert.equal(await sha256File(job.file.path), sha256(data));
      assert.equal(daemon.pid, daemonPid, 'the daemon kept running through the outage');
      const after = await daemon.api('POST', '/v1/downloads', { url: origin.url('/redis-outage.bin'), filename: 'after-outage.bin' });
      assert.equal(after.status, 201);
      const second = await daemon.waitForState(after.body.id, 'completed', 60_000);
      assert.equal(await sha256File(second.file.path), sha256(data));
    });
  });
});
