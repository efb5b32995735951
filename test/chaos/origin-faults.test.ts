/** The origin misbehaves while the daemon is being killed: resets every few MiB, Range ignored after a crash, the file replaced while the daemon was down. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type Daemon } from '../helpers/daemon.ts';
import { randomBytesSeeded, sha256, sha256File, startOrigin, type Origin } from '../helpers/origin.ts';
import { MiB } from '../helpers/env.ts';
import { chooseSeed } from '../helpers/seeded-random.ts';

const seed = chooseSeed('origin-faults');
const checkpointIntervalBytes = 2 * MiB;

describe('origin faults across crashes', () => {
  let daemon: Daemon;
  let origin: Origin;
  before(async () => {
    origin = await startOrigin();
    daemon = await startDaemon({
      workers: 2,
      env: {
        MEDIAD_CONNECTIONS: '2', MEDIAD_MIN_SEGMENT_BYTES: String(2 * MiB), MEDIAD_CHECKPOINT_INTERVAL_BYTES: String(checkpointIntervalBytes),
        MEDIAD_CHECKPOINT_INTERVAL_MS: '500', MEDIAD_RETRY_BASE_DELAY_MS: '100', MEDIAD_JOB_LOCK_MS: '3000', MEDIAD_STALLED_CHECK_INTERVAL_MS: '1000',
      },
    });
  });
  after(async () => {
    await daemon?.cleanup();
    await origin?.close();
  });

  async function enqueue(name: string, data: Buffer, rate: number): Promise<string> {
    origin.setFile(`/${name}`, data);
    origin.behave(`/${name}`, { throttleBytesPerSecond: rate });
    const response = await daemon.api('POST', '/v1/downloads', { url: origin.url(`/${name}`) });
    assert.equal(response.status, 201);
    return response.body.id;
  }

  it('finishes byte-identical when the origin resets every 3 MiB and the daemon is killed once', async () => {
    const data = randomBytesSeeded(24 * MiB, seed);
    origin.setFile('/resets.bin', data);
    origin.behave('/resets.bin', { resetEveryBytes: 3 * MiB, throttleBytesPerSecond: 4 * MiB });
    const id = (await daemon.api('POST', '/v1/downloads', { url: origin.url('/resets.bin') })).body.id as string;
    await daemon.waitForJob(id, (job) => job.progress.downloadedBytes > 8 * MiB, { timeoutMs: 20_000 });
    await daemon.killTree();
    await daemon.restart();
    const job = await daemon.waitForState(id, 'completed', 90_000);
    assert.equal(await sha256File(job.file.path), sha256(data));
    const resets = origin.requests.filter((r) => r.path === '/resets.bin').length;
    console.log(`# resets: ${resets} requests, served ${origin.bytesServed('/resets.bin')} for ${data.length}`);
    assert.ok(resets >= 8, 'the origin really did reset many times');
    assert.ok(origin.bytesServed('/resets.bin') <= data.length + 2 * checkpointIntervalBytes, `served ${origin.bytesServed('/resets.bin')}`);
  });

  it('starts from zero when the origin ignores Range after a crash, and ends with the right bytes', async () => {
    const data = randomBytesSeeded(8 * MiB, seed + 1);
    const id = await enqueue('ignores-range.bin', data, MiB);
    await daemon.waitForJob(id, (job) => job.progress.downloadedBytes > 2 * MiB, { timeoutMs: 20_000 });
    await daemon.killTree();
    origin.behave('/ignores-range.bin', { ignoreRange: true, throttleBytesPerSecond: 8 * MiB });
    const beforeRestart = origin.requests.length;
    await daemon.restart();
    const job = await daemon.waitForState(id, 'completed', 60_000);
    assert.equal(await sha256File(job.file.path), sha256(data));
    const after = origin.requests.slice(beforeRestart).filter((r) => r.path === '/ignores-range.bin');
    assert.ok(after.some((r) => r.status === 200), 'the origin answered the resume with 200');
  });

  it('downloads the new file when it changed while the daemon was down', async () => {
    const original = randomBytesSeeded(8 * MiB, seed + 2);
    const replacement = randomBytesSeeded(7 * MiB + 123, seed + 3);
    const id = await enqueue('replaced.bin', original, MiB);
    await daemon.waitForJob(id, (job) => job.progress.downloadedBytes > 2 * MiB, { timeoutMs: 20_000 });
    await daemon.killTree();
    origin.setFile('/replaced.bin', replacement);
    origin.behave('/replaced.bin', { throttleBytesPerSecond: 8 * MiB });
    await daemon.restart();
    const job = await daemon.waitForState(id, 'completed', 60_000);
    assert.equal(job.file.size, replacement.length);
    assert.equal(await sha256File(job.file.path), sha256(replacement));
    assert.ok(daemon.logs.some((line) => String(line.msg).includes('resource changed')), 'the restart from zero was logged with its reason');
  });
});
