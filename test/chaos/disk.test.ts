/**
 * Disk full (ENOSPC) and a download folder that turns read-only (EROFS), on a
 * real small tmpfs: the job fails with a clear code, keeps its partial data and
 * checkpoint, and resumes when retried after the disk is fixed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileJobPartial, partialFile } from '../../src/engine/partial-paths.ts';
import { startDaemon, type Daemon } from '../helpers/daemon.ts';
import { randomBytesSeeded, sha256, sha256File, startOrigin, type Origin } from '../helpers/origin.ts';
import { fastDaemonEnv, MiB } from '../helpers/env.ts';
import { chooseSeed } from '../helpers/seeded-random.ts';

const seed = chooseSeed('disk');

function tryMount(dir: string, sizeMiB: number): string | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m`, 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return `cannot mount a tmpfs here (${(error as Error).message.split('\n')[0]}); needs root or CAP_SYS_ADMIN`;
  }
}

describe('disk full and unwritable download folder', async () => {
  const mountPoint = await mkdtemp(path.join(tmpdir(), 'mediad-tmpfs-'));
  const skipReason = tryMount(mountPoint, 24);
  if (skipReason) console.log(`# skipping disk tests: ${skipReason}`);
  let daemon: Daemon;
  let origin: Origin;
  before(async () => {
    if (skipReason) return;
    origin = await startOrigin();
    daemon = await startDaemon({ workers: 1, downloadDir: mountPoint, env: { ...fastDaemonEnv, MEDIAD_CONNECTIONS: '1', MEDIAD_CHECKPOINT_INTERVAL_BYTES: String(MiB) } });
  });
  after(async () => {
    await daemon?.cleanup();
    await origin?.close();
    if (!skipReason) execFileSync('umount', ['-l', mountPoint]);
    await rm(mountPoint, { recursive: true, force: true });
  });

  it('fails with MEDIAD_ERR_DISK_FULL, keeps partial data, and resumes when retried after space is freed', { skip: skipReason ?? false }, async () => {
    const filler = path.join(mountPoint, 'filler.bin');
    await writeFile(filler, Buffer.alloc(12 * MiB));
    const data = randomBytesSeeded(16 * MiB, seed);
    origin.setFile('/big.bin', data);
    const id = (await daemon.api('POST', '/v1/downloads', { url: origin.url('/big.bin') })).body.id as string;
    const failed = await daemon.waitForState(id, 'failed', 30_000);
    assert.equal(failed.error.code, 'MEDIAD_ERR_DISK_FULL');
    assert.equal(failed.attempts, 1, 'a full disk is not retried in a loop');
    const partial = fileJobPartial(mountPoint, id);
    assert.ok(existsSync(partialFile(partial, 'checkpoint')), 'checkpoint kept');
    const kept = (await stat(partialFile(partial, 'data'))).size;
    assert.ok(kept >= 4 * MiB, `partial data kept (${kept} bytes)`);
    const servedBefore = origin.bytesServed('/big.bin');
    await rm(filler);
    const retried = await daemon.api('POST', `/v1/downloads/${id}/retry`);
    assert.equal(retried.status, 200);
    const job = await daemon.waitForState(id, 'completed', 30_000);
    assert.equal(await sha256File(job.file.path), sha256(data));
    const resume = origin.requests.filter((r) => r.path === '/big.bin').pop();
    assert.ok(resume?.range && !resume.range.startsWith('bytes=0-'), `retry resumed with ${resume?.range}`);
    // the checkpoint written after the failure claims every byte in the file, so the retry fetches none of them again
    const served = origin.bytesServed('/big.bin') - servedBefore;
    assert.ok(served <= data.length - kept, `the retry fetched only what was missing: ${served} bytes, ${data.length - kept} missing`);
    await rm(job.file.path);
  });

  it('fails with MEDIAD_ERR_DISK_UNWRITABLE when the target folder is read-only, and finishes without re-fetching once it is writable', { skip: skipReason ?? false }, async () => {
    const data = randomBytesSeeded(3 * MiB, seed + 1);
    origin.setFile('/ro.bin', data);
    const folder = path.join(mountPoint, 'shows');
    await mkdir(folder);
    execFileSync('mount', ['--bind', folder, folder]);
    execFileSync('mount', ['-o', 'remount,ro,bind', folder]); // read-only view of the folder; the partial data stays writable
    let failed;
    try {
      const id = (await daemon.api('POST', '/v1/downloads', { url: origin.url('/ro.bin'), filename: 'shows/ro.bin' })).body.id as string;
      failed = await daemon.waitForState(id, 'failed', 15_000);
    } finally {
      execFileSync('umount', [folder]);
    }
    assert.equal(failed.error.code, 'MEDIAD_ERR_DISK_UNWRITABLE');
    const servedBefore = origin.bytesServed('/ro.bin');
    assert.equal(servedBefore, data.length);
    const retried = await daemon.api('POST', `/v1/downloads/${failed.id}/retry`);
    assert.equal(retried.status, 200);
    const job = await daemon.waitForState(failed.id, 'completed', 30_000);
    assert.equal(job.file.path, path.join(folder, 'ro.bin'));
    assert.equal(await sha256File(job.file.path), sha256(data));
    assert.equal(origin.bytesServed('/ro.bin'), servedBefore, 'the finished partial data was kept and reused');
  });
});
