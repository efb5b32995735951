import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { startDaemon, type Daemon } from '../helpers/daemon.ts';
import { randomBytesSeeded, sha256, sha256File, startOrigin, type Origin } from '../helpers/origin.ts';
import { fastDaemonEnv, MiB } from '../helpers/env.ts';

const KiB = 1024;
const seed = Number(process.env.MEDIAD_TEST_SEED ?? Date.now() % 100_000);
console.log(`# limits.test seed=${seed}`);

interface Measured {
  /** Least-squares slope of downloadedBytes over the window, bytes per second. */
  readonly bytesPerSecond: number;
  /** The job was still downloading at the last sample, so the window holds no idle tail. */
  readonly stillDownloading: boolean;
  /** The last progress seen, for failure messages. */
  readonly last: string;
}

/**
 * The write rate of each job over `windowMs`, from its progress sampled through the API.
 * Measured at the daemon, not the origin: on loopback the kernel buffers several MiB per
 * connection (tcp_wmem up to 4 MiB, tcp_rmem up to 32 MiB), so the origin's flushed-byte
 * count moves in MiB steps and says little about a 5 s window.
 */
async function measureRates(daemon: Daemon, ids: readonly string[], windowMs: number): Promise<Measured[]> {
  const samples = ids.map(() => [] as { seconds: number; bytes: number }[]);
  const last = ids.map(() => ({ downloadedBytes: 0, totalBytes: null as number | null, state: '' }));
  const startedAt = performance.now();
  while (performance.now() - startedAt < windowMs) {
    await Promise.all(ids.map(async (id, index) => {
      const job = (await daemon.api('GET', `/v1/downloads/${id}`)).body;
      samples[index]?.push({ seconds: (performance.now() - startedAt) / 1000, bytes: job.progress.downloadedBytes });
      last[index] = { downloadedBytes: job.progress.downloadedBytes, totalBytes: job.progress.totalBytes, state: job.state };
    }));
    await delay(100); // the sampling period of a measurement window, not a wait for an event
  }
  return samples.map((points, index) => {
    const job = last[index];
    return {
      bytesPerSecond: slope(points), last: JSON.stringify(job),
      stillDownloading: job?.state === 'active' && job.downloadedBytes < (job.totalBytes ?? Infinity),
    };
  });
}

function slope(points: readonly { seconds: number; bytes: number }[]): number {
  const meanX = points.reduce((sum, point) => sum + point.seconds, 0) / points.length;
  const meanY = points.reduce((sum, point) => sum + point.bytes, 0) / points.length;
  const covariance = points.reduce((sum, point) => sum + (point.seconds - meanX) * (point.bytes - meanY), 0);
  const variance = points.reduce((sum, point) => sum + (point.seconds - meanX) ** 2, 0);
  return covariance / variance;
}

const kib = (rate: number) => `${(rate / KiB).toFixed(1)} KiB/s`;

function assertWithin(actual: number, expected: number, tolerance: number, what: string): void {
  const low = expected * (1 - tolerance);
  const high = expected * (1 + tolerance);
  assert.ok(actual >= low && actual <= high, `${what}: ${kib(actual)}, expected ${kib(expected)} ±${tolerance * 100}%`);
}

describe('bandwidth limits', () => {
  let daemon: Daemon;
  let origin: Origin;
  before(async () => {
    origin = await startOrigin();
    daemon = await startDaemon({
      workers: 2,
      env: {
        ...fastDaemonEnv, MEDIAD_PROGRESS_INTERVAL_MS: '50', // fresh progress keeps the measurement error near 1%
        MEDIAD_RATE_LIMIT_BYTES_PER_SECOND: String(MiB), MEDIAD_CONNECTIONS: '2', MEDIAD_MIN_SEGMENT_BYTES: String(MiB),
      },
    });
  });
  after(async () => {
    await daemon?.cleanup();
    await origin?.close();
  });

  async function enqueue(body: Record<string, unknown>): Promise<string> {
    const response = await daemon.api('POST', '/v1/downloads', body);
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body.id as string;
  }

  /** Waits until every job has written `bytes`, so the window starts in the steady state. */
  async function waitUntilWritten(ids: readonly string[], bytes: number): Promise<void> {
    for (const id of ids) await daemon.waitForJob(id, (job) => job.progress.downloadedBytes >= bytes, { timeoutMs: 10_000, what: `job ${id} to write ${bytes} bytes` });
  }

  async function assertCompletedIntact(id: string, data: Buffer): Promise<{ startedAt: string; finishedAt: string }> {
    const job = await daemon.waitForState(id, 'completed', 30_000);
    assert.equal(await sha256File(job.file.path), sha256(data));
    return job;
  }

  it('starts from the configured limit and refuses a bad PUT body with MEDIAD_ERR_VALIDATION', async () => {
    assert.deepEqual((await daemon.api('GET', '/v1/limits')).body, { globalBytesPerSecond: MiB });
    const bad: unknown[] = [{}, { globalBytesPerSecond: -1 }, { globalBytesPerSecond: 1.5 }, { globalBytesPerSecond: 'fast' }, { globalBytesPerSecond: 1024, extra: true }];
    for (const body of bad) {
      const response = await daemon.api('PUT', '/v1/limits', body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.body.error.code, 'MEDIAD_ERR_VALIDATION', JSON.stringify(body));
    }
    assert.deepEqual((await daemon.api('GET', '/v1/limits')).body, { globalBytesPerSecond: MiB }, 'a refused PUT changes nothing');
  });

  it('shares the global limit fairly between downloads in two worker processes, and the files stay byte-identical', async () => {
    const files = ['/shared-a.bin', '/shared-b.bin'].map((path, index) => ({ path, data: randomBytesSeeded(5 * MiB, seed + index) }));
    for (const file of files) origin.setFile(file.path, file.data);
    const ids = await Promise.all(files.map((file) => enqueue({ url: origin.url(file.path) })));
    await waitUntilWritten(ids, 256 * KiB);
    assert.equal((await daemon.api('GET', '/v1/health')).body.workers.busy, 2, 'each download runs in its own worker process');
    const measured = await measureRates(daemon, ids, 5000);
    const rates = measured.map((job) => job.bytesPerSecond);
    const total = rates.reduce((sum, rate) => sum + rate, 0);
    console.log(`# global 1 MiB/s, 2 workers: total ${kib(total)} (${(((total / MiB) - 1) * 100).toFixed(1)}%), each ${rates.map(kib).join(' / ')}`);
    assert.ok(measured.every((job) => job.stillDownloading), `both still downloading at the end of the window: ${measured.map((job) => job.last).join(', ')}`);
    assertWithin(total, MiB, 0.1, 'aggregate rate');
    for (const rate of rates) assert.ok(rate / total >= 0.35 && rate / total <= 0.65, `unfair split: ${rates.map(kib).join(' / ')}`);
    const jobs = await Promise.all(ids.map((id, index) => assertCompletedIntact(id, files[index]?.data as Buffer)));
    const runSeconds = (Math.max(...jobs.map((job) => Date.parse(job.finishedAt))) - Math.min(...jobs.map((job) => Date.parse(job.startedAt)))) / 1000;
    const wholeRate = (10 * MiB) / runSeconds;
    console.log(`# global 1 MiB/s, 2 workers: ${kib(wholeRate)} from the first start to the last finish`);
    assert.ok(wholeRate <= MiB * 1.05, `both downloads together ran at ${kib(wholeRate)}: above the global limit`);
  });

  it('holds one download to its own rateLimit when there is no global limit, from its first byte to its last', async () => {
    assert.equal((await daemon.api('PUT', '/v1/limits', { globalBytesPerSecond: 0 })).status, 200);
    const data = randomBytesSeeded(4 * MiB, seed + 10);
    origin.setFile('/per-job.bin', data);
    const id = await enqueue({ url: origin.url('/per-job.bin'), rateLimit: 512 * KiB });
    await waitUntilWritten([id], 256 * KiB);
    const [measured] = await measureRates(daemon, [id], 5000);
    const rate = measured?.bytesPerSecond ?? 0;
    const job = await assertCompletedIntact(id, data);
    const wholeRate = data.length / ((Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000);
    console.log(`# per-job rateLimit 512 KiB/s: ${kib(rate)} in the window (${(((rate / (512 * KiB)) - 1) * 100).toFixed(1)}%), ${kib(wholeRate)} start to finish`);
    assert.ok(measured?.stillDownloading, `still downloading at the end of the window: ${measured?.last}`);
    assertWithin(rate, 512 * KiB, 0.1, 'per-job rate');
    assert.ok(wholeRate <= 512 * KiB * 1.05, `the whole download ran at ${kib(wholeRate)}: above its limit`);
  });

  it('applies a PUT /v1/limits to a running download within about a second, and GET shows it', async () => {
    assert.deepEqual((await daemon.api('PUT', '/v1/limits', { globalBytesPerSecond: 2 * MiB })).body, { globalBytesPerSecond: 2 * MiB });
    const data = randomBytesSeeded(12 * MiB, seed + 20);
    origin.setFile('/change.bin', data);
    const id = await enqueue({ url: origin.url('/change.bin') });
    await waitUntilWritten([id], 512 * KiB);
    const [fast] = await measureRates(daemon, [id], 2500);
    const put = await daemon.api('PUT', '/v1/limits', { globalBytesPerSecond: 512 * KiB });
    assert.equal(put.status, 200);
    assert.deepEqual(put.body, { globalBytesPerSecond: 512 * KiB });
    assert.deepEqual((await daemon.api('GET', '/v1/limits')).body, { globalBytesPerSecond: 512 * KiB });
    await delay(1000); // the promised reaction time: the window after it must already show the new rate
    const [slow] = await measureRates(daemon, [id], 3000);
    console.log(`# PUT while running: ${kib(fast?.bytesPerSecond ?? 0)} at 2 MiB/s, then ${kib(slow?.bytesPerSecond ?? 0)} at 512 KiB/s`);
    assert.ok(fast?.stillDownloading && slow?.stillDownloading, `still downloading at the end of both windows: ${fast?.last}, ${slow?.last}`);
    assertWithin(fast?.bytesPerSecond ?? 0, 2 * MiB, 0.1, 'rate before the PUT');
    assertWithin(slow?.bytesPerSecond ?? 0, 512 * KiB, 0.1, 'rate after the PUT');
    assert.equal((await daemon.api('PUT', '/v1/limits', { globalBytesPerSecond: 0 })).status, 200); // lifted: the rest goes at once
    await assertCompletedIntact(id, data);
  });

  it('holds a download enqueued right after a PUT /v1/limits to the new limit from its first byte', async () => {
    // Unlimited, and the workers have just read so (fresh readings let a new download start without asking Redis).
    assert.equal((await daemon.api('PUT', '/v1/limits', { globalBytesPerSecond: 0 })).status, 200);
    const small = randomBytesSeeded(64 * KiB, seed + 30);
    origin.setFile('/warm.bin', small);
    const warm = await Promise.all([0, 1, 2, 3].map((n) => enqueue({ url: origin.url('/warm.bin'), filename: `warm-${n}.bin` })));
    for (const id of warm) await daemon.waitForState(id, 'completed', 10_000);
    assert.equal((await daemon.api('PUT', '/v1/limits', { globalBytesPerSecond: 512 * KiB })).status, 200);
    const data = randomBytesSeeded(MiB, seed + 31);
    origin.setFile('/after-put.bin', data);
    const job = await assertCompletedIntact(await enqueue({ url: origin.url('/after-put.bin') }), data);
    const wholeRate = data.length / ((Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000);
    console.log(`# enqueued right after a PUT of 512 KiB/s: ${kib(wholeRate)} start to finish`);
    assert.ok(wholeRate <= 512 * KiB * 1.1, `the download ran at ${kib(wholeRate)}: it did not hear of the new limit`);
    assert.equal((await daemon.api('PUT', '/v1/limits', { globalBytesPerSecond: 0 })).status, 200);
  });
});
