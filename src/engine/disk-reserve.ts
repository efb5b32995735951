import { rm, stat, writeFile } from 'node:fs/promises';
import { partialFile, type PartialFiles } from './partial-paths.ts';

const reserveBytes = 64 * 1024;

/** A little disk kept aside per partial download, so a full disk can still take the checkpoint that saves the work done. */
export async function ensureReserve(files: PartialFiles): Promise<void> {
  const file = partialFile(files, 'reserve');
  const size = await stat(file).then((found) => found.size, () => -1);
  if (size !== reserveBytes) await writeFile(file, Buffer.alloc(reserveBytes)).catch(() => undefined); // no room now: the download will say so
}

export async function releaseReserve(files: PartialFiles): Promise<void> {
  await rm(partialFile(files, 'reserve'), { force: true });
}
