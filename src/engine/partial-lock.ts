/**
 * An exclusive lock on a partial download, so that no two processes ever
 * write the same partial file, even when a supervisor died and left an
 * orphaned worker behind. The lock file names its holder (pid + kernel start
 * time, so a reused pid is not mistaken for the holder) and the supervisor
 * that spawned it. A live holder whose supervisor is gone is an orphan and is
 * killed before the lock is taken over.
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MediadError } from '../errors.ts';
import { readProcStat } from '../proc-stat.ts';

export interface LockOwner {
  readonly pid: number;
  readonly startTime: string;
  readonly supervisorPid: number;
}

const lockFileName = 'lock';

/** Kernel start time of a process, or undefined when it is not running. */
export function processStartTime(pid: number): string | undefined {
  const stat = readProcStat(pid);
  return stat && stat.state !== 'Z' ? stat.startTime : undefined;
}

export function currentOwner(): LockOwner {
  return { pid: process.pid, startTime: processStartTime(process.pid) ?? '', supervisorPid: process.ppid };
}

/** Pure decision on an existing lock. `alive` and `parentOf` describe the holder as the kernel sees it now. */
export function judgeLock(holder: LockOwner, me: LockOwner, holderStartTime: string | undefined, holderParent: number | undefined): 'mine' | 'stale' | 'orphan' | 'held' {
  if (holder.pid === me.pid && holder.startTime === me.startTime) return 'mine';
  if (holderStartTime === undefined || holderStartTime !== holder.startTime) return 'stale';
  if (holderParent !== holder.supervisorPid) return 'orphan'; // its supervisor died: the kernel re-parented it
  return 'held';
}

async function readOwner(file: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

/** Atomic replace; no fsync: a lock only matters while its holder lives, and no process outlives a power loss. */
async function writeOwner(file: string, owner: LockOwner): Promise<void> {
  const temp = `${file}.${owner.pid}.tmp`;
  await writeFile(temp, JSON.stringify(owner));
  await rename(temp, file);
}

export interface PartialLock {
  /** Throws MEDIAD_ERR_PARTIAL_LOCKED when another process took the lock over. */
  assertHeld(): Promise<void>;
  release(): Promise<void>;
}

/** Takes the lock on `dir`, killing an orphaned holder first. Throws MEDIAD_ERR_PARTIAL_LOCKED when a live, supervised process holds it. */
export async function acquirePartialLock(dir: string, me: LockOwner = currentOwner(), log?: (message: string) => void): Promise<PartialLock> {
  const file = path.join(dir, lockFileName);
  const holder = await readOwner(file);
  if (holder) {
    const verdict = judgeLock(holder, me, processStartTime(holder.pid), readProcStat(holder.pid)?.ppid);
    if (verdict === 'held') throw new MediadError('MEDIAD_ERR_PARTIAL_LOCKED', `process ${holder.pid} is still writing this download`);
    if (verdict === 'orphan') {
      log?.(`killing orphaned worker ${holder.pid} that still holds ${dir}`);
      await killAndWait(holder);
    }
  }
  await writeOwner(file, me);
  const lock: PartialLock = {
    async assertHeld() {
      const now = await readOwner(file);
      if (!now || now.pid !== me.pid || now.startTime !== me.startTime) {
        throw new MediadError('MEDIAD_ERR_PARTIAL_LOCKED', `lock on ${dir} was taken over by process ${now?.pid ?? 'unknown'}`);
      }
    },
    async release() {
      const now = await readOwner(file);
      if (now && now.pid === me.pid && now.startTime === me.startTime) await rm(file, { force: true });
    },
  };
  await lock.assertHeld(); // two takers racing: the last rename wins, the other backs off here
  return lock;
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
