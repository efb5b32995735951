import { writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { partialFile, sizeOf, type PartialFiles } from './partial-paths.ts';

const reserveBytes = 64 * 1024;

/**
 * A little disk kept aside per partial download, so a full disk can still take the checkpoint that saves the work done.
 * Synchronous: it must exist before the next block is written. Made through the thread pool, it lost the race on a
 * fast disk, where a download written in line filled the disk first and the last checkpoint found no room.
 */
export function ensureReserve(files: PartialFiles): void {
  const file = partialFile(files, 'reserve');
  if (sizeOf(file) === reserveBytes) return;
  try {
    writeFileSync(file, Buffer.alloc(reserveBytes));
  } catch {
    // no room now: the download will say so
  }
}

export async function releaseReserve(files: PartialFiles): Promise<void> {
  await rm(partialFile(files, 'reserve'), { force: true });
}
