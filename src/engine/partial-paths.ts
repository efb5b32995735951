/**
 * Where a download's partial files live. Partial data stays inside the download folder so the final link
 * never crosses filesystems.
 *
 * A file job's files sit flat in the shared partial folder, named after the job (`<jobId>.data.part`,
 * `<jobId>.lock`, …): no folder to create and remove per download. On ext4 without a journal (the bench VM)
 * a mkdir and an rmdir were a sixth of a worker's CPU per small file. A media job keeps a folder of its own,
 * with one sub-folder per stream.
 */
import { closeSync, existsSync, ftruncateSync, openSync, readFileSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';

const partialFolderName = '.mediad-partial';

/** One download's files: `<dir>/<prefix><name>`. */
export interface PartialFiles {
  readonly dir: string;
  readonly prefix: string;
}

export const partialNames = { data: 'data.part', checkpoint: 'checkpoint.json', lock: 'lock', done: 'done.json', reserve: 'reserve' } as const;
export type PartialName = keyof typeof partialNames;

export function partialFile(files: PartialFiles, name: PartialName): string {
  return inDir(files.dir, files.prefix + partialNames[name]);
}

/**
 * `dir`/`name` for one plain name (no separator, not `.` or `..`): what `path.join` answers for a normalized `dir`,
 * without its normalizing pass. That pass builds a string per path segment, and a small file's run joins a dozen
 * paths: a tenth of the bytes a worker allocated per file (2000 × 16 KiB, allocation sampling).
 */
export function inDir(dir: string, name: string): string {
  return dir.endsWith(path.sep) ? dir + name : dir + path.sep + name;
}

/** Temp file of an atomic replace (write, then rename over `partialFile(files, name)`). */
export function partialTempFile(files: PartialFiles, name: PartialName, writer = ''): string {
  return `${partialFile(files, name)}${writer ? `.${writer}` : ''}.tmp`;
}

/** A folder that holds one download's files alone. */
export function inFolder(dir: string): PartialFiles {
  return { dir, prefix: '' };
}

/** The shared partial folder of a download folder (resolved, as config gives it). */
export function partialFolder(downloadDir: string): string {
  return inDir(downloadDir, partialFolderName);
}

/** A job's own folder: a media job's streams, or an older version's file job. */
export function partialJobDir(downloadDir: string, jobId: string): string {
  return inDir(partialFolder(downloadDir), jobId);
}

/**
 * A file job's partial files. Partial data left by an older version is resumed where it lies:
 * `<jobId>/file/` (before e5aca60) or `<jobId>/` (until the flat layout).
 */
export function fileJobPartial(downloadDir: string, jobId: string): PartialFiles {
  const jobDir = partialJobDir(downloadDir, jobId);
  if (existsSync(jobDir)) {
    const legacy = path.join(jobDir, 'file');
    return inFolder(existsSync(legacy) ? legacy : jobDir);
  }
  return flatPartial(downloadDir, jobId);
}

/** A file job's files in the flat layout: `<downloadDir>/.mediad-partial/<jobId>.<name>`. */
const flatPartial = (downloadDir: string, jobId: string): PartialFiles => ({ dir: partialFolder(downloadDir), prefix: `${jobId}.` });

/** Every file a file job may leave in the flat layout, the lock (which holds the done marker) first. */
const flatNames = (downloadDir: string, jobId: string): string[] => {
  const flat = flatPartial(downloadDir, jobId);
  const names: PartialName[] = ['lock', 'done', 'data', 'checkpoint', 'reserve'];
  return [...names.map((name) => partialFile(flat, name)), partialTempFile(flat, 'checkpoint')];
};

/**
 * Removes what a finished file job left (its data is the finished file now: only small files remain). `removeLock`
 * may keep the lock file's inode for the next download instead (see spare-files.ts).
 * Synchronous: a few unlinks, cheaper than thread-pool hand-offs (see partial-lock.ts).
 */
export function removeFinishedFileJobPartial(downloadDir: string, jobId: string, removeLock: (file: string) => void = unlinkIfThere): void {
  const [lock, ...others] = flatNames(downloadDir, jobId);
  removeLock(lock as string);
  for (const file of others) if (existsSync(file)) unlinkIfThere(file); // mostly absent: a boolean, not a thrown ENOENT
  const jobDir = partialJobDir(downloadDir, jobId);
  if (existsSync(jobDir)) rmSync(jobDir, { recursive: true, force: true });
}

/**
 * A small file's text, or undefined when it is not there. An absent file is the common case on the hot path
 * (no checkpoint, no done marker yet), and a thrown ENOENT costs far more than the existence check.
 */
export function readIfThere(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // removed in between
    throw error;
  }
}

/**
 * Replaces a small file's text on its own inode (no new file, no rename): one write at offset 0, then cut to its
 * length. A kill between the two leaves the new text with the old one's tail only when the old text was longer.
 */
export function overwriteFile(file: string, text: string): void {
  const fd = openSync(file, 'r+');
  try {
    ftruncateSync(fd, writeSync(fd, text, 0));
  } finally {
    closeSync(fd);
  }
}

/** A file's size, or undefined when it cannot be read (missing, unreadable). */
export function sizeOf(file: string): number | undefined {
  try {
    return statSync(file).size;
  } catch {
    return undefined;
  }
}

/** One unlink; rmSync with `force` makes an lstat first: a second system call per file, on the small-file hot path. */
export function unlinkIfThere(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Removes everything a job left, of any kind and layout: partial data may be gigabytes, so off the event loop. */
export async function removeJobPartial(downloadDir: string, jobId: string): Promise<void> {
  await Promise.all([
    ...flatNames(downloadDir, jobId).map((file) => rm(file, { force: true })),
    rm(partialJobDir(downloadDir, jobId), { recursive: true, force: true }),
  ]);
}
