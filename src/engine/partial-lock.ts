/**
 * An exclusive lock on a partial download, so that no two processes ever
 * write the same partial file, even when a supervisor died and left an
 * orphaned worker behind. The lock file names its holder (pid + kernel start
 * time, so a reused pid is not mistaken for the holder) and the supervisor
 * that spawned it. A live holder whose supervisor is gone is an orphan and is
 * killed before the lock is taken over.
 *
 * A file job's lock also becomes its done marker (`markDone`): the finished
 * file's place is written into the same inode, and the file stays until the
 * job record says completed. On ext4 without a journal (the bench VM) creating
 * an inode costs 0.05–0.9 ms of system time, more the more were just deleted;
 * a separate marker file was one more create and unlink per download.
 *
 * Its file operations are synchronous on purpose: each takes a few µs on a
 * local disk, while a hand-off to libuv's thread pool costs 20–40 µs of CPU
 * (measured on the 2-core bench VM), and small files pay several per download.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MediadError } from '../errors.ts';
import { processStartTime, readProcStat } from '../proc-stat.ts';
import { overwriteFile, partialFile, partialTempFile, readIfThere, unlinkIfThere, type PartialFiles } from './partial-paths.ts';
import { keepAsSpare, placeSpareAs } from './spare-files.ts';

export interface LockOwner {
  readonly pid: number;
  readonly startTime: string;
  readonly supervisorPid: number;
}

/** What a lock file holds: its owner and, once the download is finished and placed, where it went. */
interface LockFile extends LockOwner {
  readonly done?: unknown;
  /**
   * The lock file's own name, written with `done`: a spare lock file is a reused inode, and after a power loss an
   * unjournaled filesystem may show its new name with its old text, another download's done marker.
   */
  readonly of?: string;
}

let ownStartTime: string | undefined;

export function currentOwner(): LockOwner {
  ownStartTime ??= processStartTime(process.pid) ?? ''; // a process's start time never changes: read /proc once
  return { pid: process.pid, startTime: ownStartTime, supervisorPid: process.ppid };
}

/** The same process: pid and kernel start time, so a reused pid is someone else. */
function sameProcess(a: LockOwner | undefined, b: LockOwner): boolean {
  return a !== undefined && a.pid === b.pid && a.startTime === b.startTime;
}

/** Pure decision on an existing lock. `alive` and `parentOf` describe the holder as the kernel sees it now. */
export function judgeLock(holder: LockOwner, me: LockOwner, holderStartTime: string | undefined, holderParent: number | undefined): 'mine' | 'stale' | 'orphan' | 'held' {
  if (sameProcess(holder, me)) return 'mine';
  if (holderStartTime === undefined || holderStartTime !== holder.startTime) return 'stale';
  if (holderParent !== holder.supervisorPid) return 'orphan'; // its supervisor died: the kernel re-parented it
  return 'held';
}

function readOwner(file: string): LockFile | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockFile;
  } catch {
    return undefined;
  }
}

/** The finish recorded in a lock file by `markDone`, or undefined (no lock, a lock still being written under, torn). */
export function readDoneMark(files: PartialFiles): unknown {
  const file = partialFile(files, 'lock');
  const text = readIfThere(file);
  if (text === undefined) return undefined;
  try {
    const lock = JSON.parse(text) as LockFile;
    return lock.of === path.basename(file) ? lock.done : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Rewrites the lock in place (the same inode) as owner + done. One write at offset 0: the new text starts with
 * the old and is longer, so a kill leaves either the old text or the new one, never an empty file.
 */
function writeDone(file: string, owner: LockOwner, done: unknown): void {
  overwriteFile(file, JSON.stringify({ ...owner, done, of: path.basename(file) } satisfies LockFile));
}

/** Atomic replace; no fsync: a lock only matters while its holder lives, and no process outlives a power loss. */
function replaceOwner(file: string, temp: string, owner: LockOwner): void {
  writeFileSync(temp, JSON.stringify(owner));
  renameSync(temp, file);
}

/** O_EXCL, or a spare lock file linked in (as exclusive): exactly one creator wins; false when a lock file is there already. */
function createOwner(file: string, owner: LockOwner): boolean {
  const placed = placeSpareAs(file, JSON.stringify(owner));
  if (placed !== undefined) return placed;
  try {
    writeFileSync(file, JSON.stringify(owner), { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

export interface PartialLock {
  /** Throws MEDIAD_ERR_PARTIAL_LOCKED when another process took the lock over. */
  assertHeld(): Promise<void>;
  /**
   * Records a finished download in the lock file, which from then on is the done marker: `release` leaves it,
   * and the next run reads it with `readDoneMark`. Throws MEDIAD_ERR_PARTIAL_LOCKED when the lock is not ours.
   */
  markDone(done: unknown): void;
  release(): Promise<void>;
}

/** Takes the lock on a partial download, killing an orphaned holder first. Throws MEDIAD_ERR_PARTIAL_LOCKED when a live, supervised process holds it. */
export async function acquirePartialLock(files: PartialFiles, me: LockOwner = currentOwner(), log?: (message: string) => void): Promise<PartialLock> {
  const file = partialFile(files, 'lock');
  const sharedFolder = files.prefix !== ''; // the flat folder of all file jobs, where spares get reused
  if (!createOwner(file, me)) {
    const holder = readOwner(file); // undefined: empty or torn (its writer died mid-write), or released meanwhile
    if (holder && holder.done === undefined) { // a done marker is nobody's claim: its download ended
      const verdict = judgeLock(holder, me, processStartTime(holder.pid), readProcStat(holder.pid)?.ppid);
      if (verdict === 'held') throw new MediadError('MEDIAD_ERR_PARTIAL_LOCKED', `process ${holder.pid} is still writing this download`);
      if (verdict === 'orphan') {
        log?.(`killing orphaned worker ${holder.pid} that still holds ${file}`);
        await killAndWait(holder);
      }
    }
    replaceOwner(file, partialTempFile(files, 'lock', String(me.pid)), me);
  }
  let marked = false;
  const assertHeldNow = () => {
    const now = readOwner(file);
    if (!sameProcess(now, me)) {
      throw new MediadError('MEDIAD_ERR_PARTIAL_LOCKED', `lock ${file} was taken over by process ${now?.pid ?? 'unknown'}`);
    }
  };
  const lock: PartialLock = {
    async assertHeld() {
      assertHeldNow();
    },
    markDone(done) {
      assertHeldNow();
      writeDone(file, me, done);
      marked = true;
    },
    async release() {
      if (marked) return; // the done marker stays until the job record says completed
      const now = readOwner(file);
      if (!sameProcess(now, me)) return;
      if (sharedFolder) keepAsSpare(file);
      else unlinkIfThere(file); // a folder of its own goes with its download: a spare there would never be used
    },
  };
  await lock.assertHeld(); // two takers racing: the last rename wins (also over a fresh create), the other backs off here
  return lock;
}

/** Runs `work` holding the lock of `files` (creating their folder), and releases it after, unless `work` marked it done. */
export async function withPartialLock<T>(files: PartialFiles, log: (message: string) => void, work: (lock: PartialLock) => Promise<T>): Promise<T> {
  const lock = await acquireCreatingFolder(files, log);
  try {
    return await work(lock);
  } finally {
    await lock.release().catch((error: Error) => log(`could not release the lock of ${files.dir}: ${error.message}`));
  }
}

/** The folder is there but for the first download or after someone removed it: make it only when the lock file cannot be created. */
async function acquireCreatingFolder(files: PartialFiles, log: (message: string) => void): Promise<PartialLock> {
  try {
    return await acquirePartialLock(files, undefined, log);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(files.dir, { recursive: true });
  return acquirePartialLock(files, undefined, log);
}

async function killAndWait(holder: LockOwner): Promise<void> {
  try {
    process.kill(holder.pid, 'SIGKILL');
  } catch {
    return;
  }
  for (let waited = 0; waited < 5000; waited += 20) {
    if (processStartTime(holder.pid) !== holder.startTime) return;
    await sleep(20);
  }
  throw new MediadError('MEDIAD_ERR_PARTIAL_LOCKED', `orphaned worker ${holder.pid} did not exit`);
}
