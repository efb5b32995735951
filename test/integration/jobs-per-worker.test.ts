import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { startDaemon, type Daemon } from '../helpers/daemon.ts';
import { randomBytesSeeded, sha256, sha256File, startOrigin, type Origin } from '../helpers/origin.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { fastDaemonEnv, MiB } from '../helpers/env.ts';

const seed = Number(process.env.MEDIAD_TEST_SEED ?? Date.now() % 100_000);
console.log(`# jobs-per-worker.test seed=${seed}`);

describe('one worker process running two downloads at once (MEDIAD_JOBS_PER_WORKER=2)', () => {
  let daemon: Daemon;
  let origin: Origin;
  before(async () => {
    origin = await startOrigin();
    daemon = await startDaemon({ workers: 1, jobsPerWorker: 2, env: { ...fastDaemonEnv, MEDIAD_CONNECTIONS: '1', MEDIAD_CHECKPOINT_INTERVAL_MS: '200' } });
  });
  after(async () => {
    await daemon?.cleanup();
    await origin?.close();
  });

  const enqueue = async (url: string, checksum?: string) => {
    const response = await daemon.api('POST', '/v1/downloads', { url, ...(checksum ? { sha256: checksum } : {}) });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body.id as string;
  };

  it('runs two downloads side by side in the one process, never three', async () => {
    const files = [0, 1, 2].map((i) => ({ path: `/side-${i}.bin`, data: randomBytesSeeded(MiB, seed + i) }));
    for (const file of files) {
      origin.setFile(file.path, file.data);
      origin.behave(file.path, { throttleBytesPerSecond: 2 * MiB });
    }
    // the last job asks for a checksum: verified and reported even though this daemon does not hash files by default
    const ids = await Promise.all(files.map((file, index) => enqueue(origin.url(file.path), index === 2 ? sha256(file.data) : undefined)));
    let peakBusy = 0;
    const pids = new Set<number>();
    await waitFor(async () => {
      const health = (await daemon.api('GET', '/v1/health')).body;
      peakBusy = Math.max(peakBusy, health.workers.busy);
      for (const pid of health.workers.pids as number[]) pids.add(pid);
      const states = await Promise.all(ids.map(async (id) => (await daemon.api('GET', `/v1/downloads/${id}`)).body.state));
      return states.every((state) => state === 'completed');
    }, { timeoutMs: 30_000, intervalMs: 50, what: 'all three completed' });
    assert.equal(origin.peakConcurrentResponses(), 2, 'two transfers at once, the third waited');
    assert.equal(peakBusy, 2);
    assert.equal(pids.size, 1, 'all in one worker process');
    for (const [index, id] of ids.entries()) {
      const job = (await daemon.api('GET', `/v1/downloads/${id}`)).body;
      assert.equal(await sha256File(job.file.path), sha256(files[index]!.data));
      assert.equal(job.file.sha256, index === 2 ? sha256(files[index]!.data) : null, 'a sha256 only when MEDIAD_HASH_FILES is on or the job asked for a checksum');
    }
  });

  it('a killed worker takes both its downloads down; both resume from their checkpoints, byte-identical', async () => {
    const files = [0, 1].map((i) => ({ path: `/pair-${i}.bin`, data: randomBytesSeeded(5 * MiB, seed + 10 + i) }));
    for (const file of files) {
      origin.setFile(file.path, file.data);
      origin.behave(file.path, { throttleBytesPerSecond: 2 * MiB });
    }
    const ids = await Promise.all(files.map((file) => enqueue(origin.url(file.path))));
    for (const id of ids) await daemon.waitForJob(id, (job) => job.progress.downloadedBytes > 2 * MiB, { timeoutMs: 15_000 });
    const [victim] = (await daemon.api('GET', '/v1/health')).body.workers.pids as number[];
    assert.equal(typeof victim, 'number');
    process.kill(victim as number, 'SIGKILL');
    for (const [index, id] of ids.entries()) {
      const job = await daemon.waitForState(id, 'completed', 30_000);
      const file = files[index]!;
      assert.equal(await sha256File(job.file.path), sha256(file.data));
      const served = origin.requests.filter((request) => request.path === file.path);
      assert.ok(served.length >= 2 && served.slice(1).every((request) => request.range && !request.range.startsWith('bytes=0-')), `${file.path} resumed with a Range`);
      assert.ok(origin.bytesServed(file.path) <= file.data.length + MiB, `${file.path}: served ${origin.bytesServed(file.path)} for ${file.data.length}`);
    }
    const pids = (await daemon.api('GET', '/v1/health')).body.workers.pids as number[];
    assert.ok(pids.length === 1 && pids[0] !== victim, 'the pool replaced the killed worker');
    const leftovers = await readdir(path.join(daemon.downloadDir, '.mediad-partial')).catch(() => []);
    assert.deepEqual(leftovers.filter((name) => !name.startsWith('spare.')), [], 'nothing but the workers\' spare lock files');
  });
});
