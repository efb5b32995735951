import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { acquirePartialLock, currentOwner, judgeLock, readDoneMark } from './partial-lock.ts';
import { processStartTime } from '../proc-stat.ts';
import { tempDirs } from '../../test/helpers/temp-dirs.ts';

const tempDir = tempDirs('mediad-lock-');

describe('judgeLock', () => {
  const me = { pid: 10, startTime: '100', supervisorPid: 1 };
  const holder = { pid: 20, startTime: '200', supervisorPid: 5 };
  const cases: [string, typeof holder, string | undefined, number | undefined, string][] = [
    ['my own lock', { ...me }, '100', 1, 'mine'],
    ['a dead holder is stale', holder, undefined, undefined, 'stale'],
    ['a reused pid is stale', holder, '999', 5, 'stale'],
    ['a holder whose supervisor died is an orphan', holder, '200', 1, 'orphan'],
    ['a supervised live holder holds it', holder, '200', 5, 'held'],
  ];
  for (const [name, h, start, parent, verdict] of cases) it(name, () => assert.equal(judgeLock(h, me, start, parent), verdict));
});

describe('acquirePartialLock', () => {
  it('takes over a stale lock and refuses a live supervised holder', async () => {
    const dir = await tempDir();
    const files = { dir, prefix: 'job-1.' }; // a file job's lock: flat in the shared partial folder
    await writeFile(path.join(dir, 'job-1.lock'), JSON.stringify({ pid: 999_999, startTime: '1', supervisorPid: 1 }));
    const lock = await acquirePartialLock(files);
    await lock.assertHeld();
    const rival = { pid: process.pid, startTime: 'other', supervisorPid: process.ppid };
    // same pid but another start time reads as stale, so use a real second process as a live holder
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      const childOwner = { pid: child.pid as number, startTime: processStartTime(child.pid as number) as string, supervisorPid: process.pid };
      await writeFile(path.join(dir, 'job-1.lock'), JSON.stringify(childOwner));
      await assert.rejects(acquirePartialLock(files, rival), { code: 'MEDIAD_ERR_PARTIAL_LOCKED' });
      await assert.rejects(lock.assertHeld(), { code: 'MEDIAD_ERR_PARTIAL_LOCKED' });
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('kills an orphaned holder before taking the lock', async () => {
    const dir = await tempDir();
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    const pid = child.pid as number;
    const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    // the lock names a supervisor that is not the child's parent: as the kernel sees it, the child is an orphan
    await writeFile(path.join(dir, 'lock'), JSON.stringify({ pid, startTime: processStartTime(pid), supervisorPid: 1 }));
    const lock = await acquirePartialLock({ dir, prefix: '' }, currentOwner());
    assert.equal(await exited, 'SIGKILL');
    await lock.assertHeld();
  });

  it('becomes the done marker: markDone rewrites it in place, and release leaves it', async () => {
    const dir = await tempDir();
    const files = { dir, prefix: 'job-2.' };
    const lock = await acquirePartialLock(files);
    assert.equal(readDoneMark(files), undefined, 'a held lock is no done marker');
    const done = { path: '/downloads/a.bin', name: 'a.bin', size: 3, sha256: null };
    lock.markDone(done);
    await lock.release();
    assert.deepEqual(readDoneMark(files), done);
    assert.deepEqual(JSON.parse(await readFile(path.join(dir, 'job-2.lock'), 'utf8')), { ...currentOwner(), done, of: 'job-2.lock' }, 'still names its owner');
  });

  it('reads no done marker from a lock file whose text was written for another name (a spare after a power loss)', async () => {
    const dir = await tempDir();
    const done = { path: '/downloads/other.bin', name: 'other.bin', size: 3, sha256: null };
    await writeFile(path.join(dir, 'job-5.lock'), JSON.stringify({ ...currentOwner(), done, of: 'job-6.lock' }));
    assert.equal(readDoneMark({ dir, prefix: 'job-5.' }), undefined);
    await writeFile(path.join(dir, 'job-6.lock'), JSON.stringify({ ...currentOwner(), done, of: 'job-6.lock' }));
    assert.deepEqual(readDoneMark({ dir, prefix: 'job-6.' }), done);
  });

  it('refuses to mark done a lock another process took over', async () => {
    const dir = await tempDir();
    const files = { dir, prefix: 'job-3.' };
    const lock = await acquirePartialLock(files);
    const taker = { pid: 999_999, startTime: '1', supervisorPid: 1 };
    await writeFile(path.join(dir, 'job-3.lock'), JSON.stringify(taker));
    assert.throws(() => lock.markDone({ path: '/x' }), { code: 'MEDIAD_ERR_PARTIAL_LOCKED' });
    assert.deepEqual(JSON.parse(await readFile(path.join(dir, 'job-3.lock'), 'utf8')), taker, 'the taker\'s lock is untouched');
  });

  it('keeps a released lock of the shared folder as a spare, and unlinks one in a folder of its own', async () => {
    const shared = await tempDir();
    await (await acquirePartialLock({ dir: shared, prefix: 'job-4.' })).release();
    const sharedLeft = await readdir(shared);
    assert.equal(sharedLeft.length, 1);
    assert.match(sharedLeft[0] as string, /^spare\./);
    const own = await tempDir(); // a media stream's folder: removed with its job, so a spare there would leak
    await (await acquirePartialLock({ dir: own, prefix: '' })).release();
    assert.deepEqual(await readdir(own), []);
  });
});
