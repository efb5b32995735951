import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { startDaemon, type Daemon } from '../helpers/daemon.ts';
import { randomBytesSeeded, sha256, sha256File, startOrigin, type Origin } from '../helpers/origin.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { fastDaemonEnv, MiB } from '../helpers/env.ts';

const seed = Number(process.env.MEDIAD_TEST_SEED ?? Date.now() % 100_000);
console.log(`# downloads.test seed=${seed}`);

async function enqueue(daemon: Daemon, body: Record<string, unknown>): Promise<string> {
  const response = await daemon.api('POST', '/v1/downloads', body);
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return response.body.id as string;
}

describe('downloading files', () => {
  let daemon: Daemon;
  let origin: Origin;
  before(async () => {
    origin = await startOrigin();
    // this daemon reports every file's sha256 (off by default: see jobs-per-worker.test for a daemon that does not)
    daemon = await startDaemon({ workers: 2, env: { ...fastDaemonEnv, MEDIAD_CONNECTIONS: '1', MEDIAD_STALL_TIMEOUT_MS: '1500', MEDIAD_HASH_FILES: 'true' } });
  });
  after(async () => {
    await daemon?.cleanup();
    await origin?.close();
  });

  it('writes a byte-identical file named after the URL path and reports its sha256', async () => {
    const data = randomBytesSeeded(3 * MiB + 17, seed);
    origin.setFile('/media/clip.mp4', data);
    const job = await daemon.waitForState(await enqueue(daemon, { url: origin.url('/media/clip.mp4') }), 'completed');
    assert.equal(job.file.name, 'clip.mp4');
    assert.equal(job.file.path, path.join(daemon.downloadDir, 'clip.mp4'));
    assert.equal(job.file.sha256, sha256(data));
    assert.equal(await sha256File(job.file.path), sha256(data));
    assert.equal(job.progress.downloadedBytes, data.length);
    assert.ok(job.startedAt && job.finishedAt);
  });

  it('takes the name from Content-Disposition, keeps a requested sub-folder, and never overwrites', async () => {
    origin.setFile('/dl?id=7', Buffer.from('disposition'));
    origin.behave('/dl', { contentDisposition: 'attachment; filename="report final.pdf"' });
    origin.setFile('/cd.bin', Buffer.from('disposition'));
    origin.behave('/cd.bin', { contentDisposition: 'attachment; filename="report final.pdf"' });
    const first = await daemon.waitForState(await enqueue(daemon, { url: origin.url('/cd.bin') }), 'completed');
    const second = await daemon.waitForState(await enqueue(daemon, { url: origin.url('/cd.bin') }), 'completed');
    assert.equal(first.file.name, 'report final.pdf');
    assert.equal(second.file.name, 'report final (1).pdf');
    await mkdir(path.join(daemon.downloadDir, 'shows'), { recursive: true });
    await writeFile(path.join(daemon.downloadDir, 'shows', 'ep1.bin'), 'someone else\'s file');
    const named = await daemon.waitForState(await enqueue(daemon, { url: origin.url('/cd.bin'), filename: 'shows/ep1.bin' }), 'completed');
    assert.equal(named.file.path, path.join(daemon.downloadDir, 'shows', 'ep1 (1).bin'));
    assert.equal(await sha256File(path.join(daemon.downloadDir, 'shows', 'ep1.bin')), sha256("someone else's file"));
  });

  it('fails a 404 at once without retrying', async () => {
    const job = await daemon.waitForState(await enqueue(daemon, { url: origin.url('/missing.bin') }), 'failed');
    assert.equal(job.error.code, 'MEDIAD_ERR_HTTP_404');
    assert.equal(job.attempts, 1);
    assert.equal(origin.requests.filter((r) => r.path === '/missing.bin').length, 1);
  });

  it('fails on a sha256 mismatch and keeps no file', async () => {
    origin.setFile('/sum.bin', Buffer.from('the real bytes'));
    const job = await daemon.waitForState(await enqueue(daemon, { url: origin.url('/sum.bin'), sha256: 'a'.repeat(64) }), 'failed');
    assert.equal(job.error.code, 'MEDIAD_ERR_CHECKSUM_MISMATCH');
    assert.equal(job.file, null);
    assert.equal(existsSync(path.join(daemon.downloadDir, 'sum.bin')), false);
  });

  it('retries 503 after the Retry-After the origin asked for', async () => {
    origin.setFile('/busy.bin', randomBytesSeeded(100_000, seed + 1));
    origin.behave('/busy.bin', { failStatus: 503, failTimes: 2, retryAfterSeconds: 1 });
    const job = await daemon.waitForState(await enqueue(daemon, { url: origin.url('/busy.bin') }), 'completed', 30_000);
    const served = origin.requests.filter((r) => r.path === '/busy.bin');
    assert.deepEqual(served.map((r) => r.status), [503, 503, 206]);
    for (let i = 1; i < served.length; i++) assert.ok((served[i]?.at ?? 0) - (served[i - 1]?.at ?? 0) >= 950, 'waited for Retry-After');
    assert.equal(job.attempts, 3);
    assert.equal(job.file.sha256, sha256(randomBytesSeeded(100_000, seed + 1)));
  });

  it('resumes a reset connection with a Range request instead of starting over', async () => {
    const data = randomBytesSeeded(4 * MiB, seed + 2);
    origin.setFile('/reset.bin', data);
    origin.behave('/reset.bin', { resetAfterBytes: 1536 * 1024, resetTimes: 2 });
    const job = await daemon.waitForState(await enqueue(daemon, { url: origin.url('/reset.bin') }), 'completed');
    assert.equal(job.file.sha256, sha256(data));
    const served = origin.requests.filter((r) => r.path === '/reset.bin');
    assert.equal(served.length, 3);
    assert.ok(served.slice(1).every((r) => r.range && !r.range.startsWith('bytes=0-') && r.ifRange), `resumed with Range + If-Range: ${JSON.stringify(served)}`);
    assert.ok(origin.bytesServed('/reset.bin') <= data.length + 256 * 1024, `served ${origin.bytesServed('/reset.bin')} for ${data.length}`);
  });

  it('restarts from zero when the server ignores Range after partial data', async () => {
    const data = randomBytesSeeded(2 * MiB, seed + 3);
    origin.setFile('/norange.bin', data);
    origin.behave('/norange.bin', { resetAfterBytes: 512 * 1024, resetTimes: 1, ignoreRange: true });
    const job = await daemon.waitForState(await enqueue(daemon, { url: origin.url('/norange.bin') }), 'completed');
    assert.equal(job.file.sha256, sha256(data));
    assert.equal(await sha256File(job.file.path), sha256(data));
  });

  it('starts again when the file changes between attempts', async () => {
    const before = randomBytesSeeded(2 * MiB, seed + 4);
    const changed = randomBytesSeeded(2 * MiB + 5, seed + 5);
    origin.setFile('/changing.bin', before);
    origin.behave('/changing.bin', { resetAfterBytes: 700 * 1024, resetTimes: 1 });
    origin.onBytesServed('/changing.bin', 600 * 1024, () => origin.setFile('/changing.bin', changed));
    const job = await daemon.waitForState(await enqueue(daemon, { url: origin.url('/changing.bin') }), 'completed');
    assert.equal(job.file.size, changed.length);
    assert.equal(await sha256File(job.file.path), sha256(changed));
  });

  it('treats a stalled connection as retryable and finishes', async () => {
    const data = randomBytesSeeded(MiB, seed + 6);
    origin.setFile('/stall.bin', data);
    origin.behave('/stall.bin', { stallAfterBytes: 300 * 1024, stallTimes: 1 });
    const job = await daemon.waitForState(await enqueue(daemon, { url: origin.url('/stall.bin') }), 'completed', 30_000);
    assert.equal(job.file.sha256, sha256(data));
    assert.ok(daemon.logs.some((line) => line.code === 'MEDIAD_ERR_STALLED'), 'the stall was logged with its code');
  });

  it('shows bytes, speed and ETA while a job runs', async () => {
    const data = randomBytesSeeded(3 * MiB, seed + 7);
    origin.setFile('/slow.bin', data);
    origin.behave('/slow.bin', { throttleBytesPerSecond: MiB });
    const id = await enqueue(daemon, { url: origin.url('/slow.bin') });
    const running = await daemon.waitForJob(id, (job) => job.state === 'active' && job.progress.downloadedBytes > 0 && job.progress.bytesPerSecond > 0, { timeoutMs: 10_000 });
    assert.equal(running.progress.totalBytes, data.length);
    assert.equal(running.progress.stage, 'downloading');
    assert.ok(running.progress.etaSeconds > 0);
    const later = await daemon.waitForJob(id, (job) => job.progress.downloadedBytes > running.progress.downloadedBytes, { timeoutMs: 3000, what: 'progress moves within a second or so' });
    assert.ok(later.progress.downloadedBytes > running.progress.downloadedBytes);
    await daemon.waitForState(id, 'completed');
  });

  it('cancels a running download within 2 s and removes its partial data', async () => {
    origin.setFile('/cancel.bin', randomBytesSeeded(8 * MiB, seed + 8));
    origin.behave('/cancel.bin', { throttleBytesPerSecond: MiB });
    const id = await enqueue(daemon, { url: origin.url('/cancel.bin') });
    await daemon.waitForJob(id, (job) => job.progress.downloadedBytes > 256 * 1024, { timeoutMs: 10_000 });
    const asked = Date.now();
    const response = await daemon.api('DELETE', `/v1/downloads/${id}`);
    assert.equal(response.status, 200);
    await daemon.waitForState(id, 'canceled', 2000);
    assert.ok(Date.now() - asked <= 2000);
    await waitFor(async () => (await readdir(path.join(daemon.downloadDir, '.mediad-partial'))).every((name) => !name.startsWith(id)), { timeoutMs: 2000, what: 'partial data removed' });
    await waitFor(() => origin.activeConnections() === 0 || origin.requests.filter((r) => r.path === '/cancel.bin').every((r) => r.status > 0), { timeoutMs: 2000, what: 'transfer stopped' });
    const bytesAtCancel = origin.bytesServed('/cancel.bin');
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.ok(origin.bytesServed('/cancel.bin') - bytesAtCancel < 128 * 1024, 'nothing more was fetched after the cancel');
    const again = await daemon.api('DELETE', `/v1/downloads/${id}`);
    assert.equal(again.status, 200);
    assert.equal(again.body.state, 'canceled');
  });

  it('cancels a queued download before any byte is fetched, and refuses to cancel a finished one', async () => {
    origin.setFile('/block.bin', randomBytesSeeded(2 * MiB, seed + 9));
    origin.behave('/block.bin', { throttleBytesPerSecond: MiB });
    const blockers = [await enqueue(daemon, { url: origin.url('/block.bin') }), await enqueue(daemon, { url: origin.url('/block.bin') })];
    origin.setFile('/queued.bin', Buffer.from('never fetched'));
    const queued = await enqueue(daemon, { url: origin.url('/queued.bin'), priority: -50 });
    const canceled = await daemon.api('DELETE', `/v1/downloads/${queued}`);
    assert.equal(canceled.body.state, 'canceled');
    for (const id of blockers) await daemon.waitForState(id, 'completed');
    assert.equal(origin.requests.filter((r) => r.path === '/queued.bin').length, 0);
    const finished = await daemon.api('DELETE', `/v1/downloads/${blockers[0]}`);
    assert.equal(finished.status, 409);
    assert.equal(finished.body.error.code, 'MEDIAD_ERR_NOT_CANCELABLE');
  });
});

describe('priority', () => {
  it('runs a higher-priority job before a lower one queued earlier', async () => {
    const origin = await startOrigin();
    const daemon = await startDaemon({ workers: 1, env: { ...fastDaemonEnv, MEDIAD_CONNECTIONS: '1' } });
    try {
      origin.setFile('/blocker.bin', randomBytesSeeded(2 * MiB, seed + 40));
      origin.behave('/blocker.bin', { throttleBytesPerSecond: 2 * MiB });
      origin.setFile('/low.bin', Buffer.from('low'));
      origin.setFile('/high.bin', Buffer.from('high'));
      const blocker = await enqueue(daemon, { url: origin.url('/blocker.bin') });
      await daemon.waitForState(blocker, 'active', 10_000);
      const low = await enqueue(daemon, { url: origin.url('/low.bin'), priority: -10 });
      const high = await enqueue(daemon, { url: origin.url('/high.bin'), priority: 10 });
      const [lowJob, highJob] = await Promise.all([daemon.waitForState(low, 'completed'), daemon.waitForState(high, 'completed')]);
      assert.ok(Date.parse(highJob.startedAt) < Date.parse(lowJob.startedAt), `high started ${highJob.startedAt}, low ${lowJob.startedAt}`);
      const order = origin.requests.map((r) => r.path).filter((p) => p === '/low.bin' || p === '/high.bin');
      assert.deepEqual(order, ['/high.bin', '/low.bin']);
    } finally {
      await daemon.cleanup();
      await origin.close();
    }
  });
});

describe('the worker pool', () => {
  let daemon: Daemon;
  let origin: Origin;
  before(async () => {
    origin = await startOrigin();
    daemon = await startDaemon({ workers: 2, env: { ...fastDaemonEnv, MEDIAD_CONNECTIONS: '1', MEDIAD_CHECKPOINT_INTERVAL_MS: '200' } });
  });
  after(async () => {
    await daemon?.cleanup();
    await origin?.close();
  });

  it('never runs more downloads than the pool has workers', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      origin.setFile(`/pool-${i}.bin`, randomBytesSeeded(MiB, seed + 20 + i));
      origin.behave(`/pool-${i}.bin`, { throttleBytesPerSecond: 2 * MiB });
      ids.push(await enqueue(daemon, { url: origin.url(`/pool-${i}.bin`) }));
    }
    let peakBusy = 0;
    await waitFor(async () => {
      const health = await daemon.api('GET', '/v1/health');
      peakBusy = Math.max(peakBusy, health.body.workers.busy);
      const states = await Promise.all(ids.map(async (id) => (await daemon.api('GET', `/v1/downloads/${id}`)).body.state));
      assert.ok(states.filter((state) => state === 'active').length <= 2, `at most 2 active: ${states}`);
      return states.every((state) => state === 'completed');
    }, { timeoutMs: 30_000, intervalMs: 100, what: 'all pool jobs completed' });
    assert.ok(origin.peakConcurrentResponses() <= 2, `origin saw ${origin.peakConcurrentResponses()} at once`);
    assert.ok(peakBusy >= 1 && peakBusy <= 2);
  });

  it('replaces a killed worker and its job finishes with the right bytes, resumed not restarted', async () => {
    const data = randomBytesSeeded(6 * MiB, seed + 30);
    origin.setFile('/victim.bin', data);
    origin.behave('/victim.bin', { throttleBytesPerSecond: 2 * MiB });
    const id = await enqueue(daemon, { url: origin.url('/victim.bin') });
    await daemon.waitForJob(id, (job) => job.progress.downloadedBytes > 2 * MiB, { timeoutMs: 10_000 });
    const before = (await daemon.api('GET', '/v1/health')).body.workers.pids as number[];
    for (const pid of before) process.kill(pid, 'SIGKILL');
    const refilled = await waitFor(async () => {
      const pids = (await daemon.api('GET', '/v1/health')).body.workers.pids as number[];
      return pids.length === 2 && pids.every((pid) => !before.includes(pid)) ? pids : undefined;
    }, { timeoutMs: 5000, what: 'pool back to full size with new pids' });
    assert.equal(refilled.length, 2);
    const job = await daemon.waitForState(id, 'completed', 30_000);
    assert.equal(await sha256File(job.file.path), sha256(data));
    const served = origin.requests.filter((r) => r.path === '/victim.bin');
    assert.ok(served.length >= 2 && served.slice(1).every((r) => r.range && !r.range.startsWith('bytes=0-')), 'resumed with a Range');
    assert.ok(origin.bytesServed('/victim.bin') <= data.length + MiB, `served ${origin.bytesServed('/victim.bin')} for ${data.length}`);
    const leftovers = await readdir(path.join(daemon.downloadDir, '.mediad-partial')).catch(() => []);
    assert.deepEqual(leftovers.filter((name) => !name.startsWith('spare.')), [], 'nothing but the workers\' spare lock files');
  });
});
