import { rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

const reserveFileName = 'reserve';
const reserveBytes = 64 * 1024;

/** A little disk kept aside per partial folder, so a full disk can still take the checkpoint that saves the work done. */
export async function ensureReserve(dir: string): Promise<void> {
  const file = path.join(dir, reserveFileName);
  const size = await stat(file).then((found) => found.size, () => -1);
  if (size !== reserveBytes) await writeFile(file, Buffer.alloc(reserveBytes)).catch(() => undefined); // no room now: the download will say so
}

export async function releaseReserve(dir: string): Promise<void> {
  await rm(path.join(dir, reserveFileName), { force: true });
}
