/** Two ceilings that explain the big-file figures: disk write speed when data is fdatasynced as mediad does, and sha256 speed of one core. */
import { createHash, randomFillSync } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import path from 'node:path';

export interface Ceilings {
  /** Sequential writes of 8 MiB chunks with fdatasync after each (mediad checkpoints every 8 MiB), MiB/s. */
  readonly syncedWriteMiBps: number;
  /** The same writes without any sync (what curl does; they land in the page cache), MiB/s. */
  readonly cachedWriteMiBps: number;
  /** sha256 of in-memory data on one core, MiB/s. */
  readonly sha256MiBps: number;
}

const chunkBytes = 8 * 1024 * 1024;

async function writeSpeed(file: string, totalBytes: number, sync: boolean): Promise<number> {
  const chunk = randomFillSync(Buffer.alloc(chunkBytes));
  const handle = await open(file, 'w');
  const started = performance.now();
  try {
    for (let written = 0; written < totalBytes; written += chunkBytes) {
      await handle.write(chunk, 0, chunkBytes, written);
      if (sync) await handle.datasync();
    }
  } finally {
    await handle.close();
  }
  const seconds = (performance.now() - started) / 1000;
  await rm(file, { force: true });
  return totalBytes / (1024 * 1024) / seconds;
}

export async function measureCeilings(dir: string, totalBytes = 512 * 1024 * 1024): Promise<Ceilings> {
  const file = path.join(dir, 'disk-probe.bin');
  const syncedWriteMiBps = await writeSpeed(file, totalBytes, true);
  const cachedWriteMiBps = await writeSpeed(file, totalBytes, false);
  const data = randomFillSync(Buffer.alloc(chunkBytes));
  const started = performance.now();
  const hash = createHash('sha256');
  for (let i = 0; i < 32; i++) hash.update(data);
  hash.digest();
  const sha256MiBps = (32 * chunkBytes) / (1024 * 1024) / ((performance.now() - started) / 1000);
  return { syncedWriteMiBps, cachedWriteMiBps, sha256MiBps };
}
