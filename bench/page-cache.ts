/**
 * Page cache control between runs: flush dirty pages and drop the cache
 * (needs root and a writable /proc/sys/vm/drop_caches), then read the
 * origin's source files once so the origin serves them from memory and every
 * run starts from the same state: sources warm, destination cold.
 */
import { execFile, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type DropResult = 'dropped' | 'not permitted';

let lastResult: DropResult | undefined;

export async function syncDisks(): Promise<void> {
  await run('sync');
}

export async function dropCaches(): Promise<DropResult> {
  await syncDisks();
  try {
    await writeFile('/proc/sys/vm/drop_caches', '3\n');
    lastResult = 'dropped';
  } catch {
    lastResult = 'not permitted';
  }
  return lastResult;
}

export function cacheDropResult(): DropResult | undefined {
  return lastResult;
}

/** Reads the files (relative to `dir`) into the page cache: `cat` with its output on /dev/null. */
export async function warmFiles(dir: string, rels: readonly string[]): Promise<void> {
  const unique = [...new Set(rels)].map((rel) => path.join(dir, rel));
  for (let i = 0; i < unique.length; i += 500) {
    const child = spawn('cat', unique.slice(i, i + 500), { stdio: 'ignore' });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`cat of the source files exited with ${code}`);
  }
}

/** Drop caches, then warm the sources. */
export async function resetCaches(dataDir: string, sources: readonly string[]): Promise<void> {
  await dropCaches();
  await warmFiles(dataDir, sources);
}
