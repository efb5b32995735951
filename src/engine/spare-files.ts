/**
 * Spare lock files: a finished download's lock file is renamed into this
 * process's pool instead of unlinked, and the next download's lock is that
 * inode moved back under the new name, so small files stop allocating and
 * freeing an inode each.
 *
 * Why: on ext4 without a journal (the bench VM) the allocator skips inodes
 * freed within the last minutes, checking each on the way, so a create costs
 * 0.05 ms on a quiet disk and up to 0.9 ms of system time after thousands of
 * deletes; a rename or link costs 0.02–0.03 ms either way. With the pool a
 * small file allocates one inode (its data, which becomes the user's file)
 * and frees none, like aria2c.
 *
 * A spare is named `spare.<pid>-<start time>.<n>`: only its process uses it, and
 * `sweepDeadSpares` removes those of processes that are gone at daemon start.
 */
import { linkSync, readdirSync, renameSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { processStartTime } from '../proc-stat.ts';
import { inDir, overwriteFile, unlinkIfThere } from './partial-paths.ts';

/** As many as downloads that end close together in one process: beyond it a lock file is unlinked as before. */
const maxSparesPerFolder = 32;
const pools = new Map<string, string[]>();
let counter = 0;

const code = (error: unknown) => (error as NodeJS.ErrnoException).code;

let ownTag: string | undefined;

function spareName(dir: string): string {
  ownTag ??= `${process.pid}-${processStartTime(process.pid) ?? ''}`;
  return inDir(dir, `spare.${ownTag}.${counter++}`);
}

/**
 * Writes `text` into a spare of `target`'s folder, then links it as `target` unless that name exists (as O_EXCL
 * would): true when placed, false when `target` exists, undefined when there is no spare to use (create instead).
 * The text goes in before the link, so `target` never shows another download's text.
 */
export function placeSpareAs(target: string, text: string): boolean | undefined {
  const pool = pools.get(path.dirname(target));
  const spare = pool?.pop();
  if (!pool || spare === undefined) return undefined;
  try {
    overwriteFile(spare, text);
    linkSync(spare, target);
  } catch (error) {
    if (code(error) === 'EEXIST') {
      pool.push(spare);
      return false;
    }
    unlinkIfThere(spare); // removed under us, or the folder is gone: forget it and create as usual
    return undefined;
  }
  unlinkSync(spare);
  return true;
}

/**
 * Keeps `file` (a lock whose download is over) as a spare of its folder, or unlinks it when the pool is full or the
 * rename fails: a lock left behind would name a live worker and block its download. Nothing there: nothing to do.
 */
export function keepAsSpare(file: string, move: (from: string, to: string) => void = renameSync): void {
  const dir = path.dirname(file);
  const pool = pools.get(dir) ?? [];
  if (pool.length >= maxSparesPerFolder) {
    unlinkIfThere(file);
    return;
  }
  const spare = spareName(dir);
  try {
    move(file, spare);
  } catch (error) {
    if (code(error) === 'ENOENT') return;
    unlinkIfThere(file); // a rename needs a directory entry (ENOSPC on a full disk); an unlink never does
    return;
  }
  pool.push(spare);
  pools.set(dir, pool);
}

/**
 * Removes the spares that processes no longer running left in `dir`, and their other scratch files: lock takeovers'
 * (`*.lock.<pid>.tmp`) and the O_DIRECT alignment trial's (`direct-probe.<pid>.tmp`, see direct-io.ts).
 */
export function sweepDeadSpares(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if (code(error) === 'ENOENT') return [];
    throw error;
  }
  const removed: string[] = [];
  for (const name of names) {
    const spare = /^spare\.(\d+)-(\d*)\.\d+$/.exec(name); // no start time: /proc was unreadable
    const temp = /(?:\.lock|^direct-probe)\.(\d+)\.tmp$/.exec(name);
    const dead = spare ? processStartTime(Number(spare[1])) !== spare[2] : temp ? processStartTime(Number(temp[1])) === undefined : false;
    if (!dead) continue;
    unlinkIfThere(path.join(dir, name));
    removed.push(name);
  }
  return removed;
}
