/**
 * Moves a finished partial file into the download folder: verify size,
 * hash, then hard-link under a free name (never overwriting a file that is
 * there) and record the result, so a crash at any step finishes the same
 * way on the next run instead of downloading again or leaving "name (1)".
 * Its metadata calls are synchronous, like the partial lock's (see there why).
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, type Stats, linkSync, mkdirSync, openSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MediadError } from '../errors.ts';
import { syncDirectory } from './checkpoint.ts';
import { numberedName } from './filename.ts';
import { readDoneMark } from './partial-lock.ts';
import { partialFile, readIfThere, unlinkIfThere, type PartialFiles } from './partial-paths.ts';

export interface FinishedFile {
  readonly path: string;
  readonly name: string;
  readonly size: number;
  readonly sha256: string | null;
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * A finish recorded by an earlier run whose job record was not updated before a crash: in the lock file (a file
 * job's, see `PartialLock.markDone`) or in a done marker file (a media job's, or one an older version left).
 */
export async function readRecordedFinish(partial: PartialFiles): Promise<FinishedFile | undefined> {
  try {
    let done = readDoneMark(partial) as FinishedFile | undefined;
    if (done === undefined) {
      const text = readIfThere(partialFile(partial, 'done'));
      if (text === undefined) return undefined;
      done = JSON.parse(text) as FinishedFile;
    }
    const size = statSync(done.path).size;
    return size === done.size ? done : undefined;
  } catch {
    return undefined;
  }
}

/** Records a finish in a done marker file of its own (a media job's folder has no lock of its own to carry it). */
export function doneMarkerFile(partial: PartialFiles): (finished: FinishedFile) => void {
  return (finished) => writeFileSync(partialFile(partial, 'done'), JSON.stringify(finished));
}

export interface FinalizeInput {
  /** Records where the file went, before the partial data's name is removed: `lock.markDone`, or `doneMarkerFile`. */
  readonly recordFinish: (finished: FinishedFile) => void;
  readonly dataPath: string;
  readonly downloadDir: string;
  /** Relative, already sanitised name (may contain sub-folders). */
  readonly filename: string;
  readonly expectedBytes: number;
  readonly expectedSha256?: string | undefined;
  /** Hash the file even when no checksum is expected, to report it. */
  readonly hash: boolean;
}

export async function finalizeDownload(input: FinalizeInput): Promise<FinishedFile> {
  const sourceStat = statSync(input.dataPath);
  const size = sourceStat.size;
  if (size !== input.expectedBytes) throw new MediadError('MEDIAD_ERR_SIZE_MISMATCH', `downloaded ${size} bytes, origin promised ${input.expectedBytes}`);
  // hashing reads the whole file again (about 1 s of CPU per GiB): only when asked to, or to check a promised checksum
  const sha256 = input.hash || input.expectedSha256 ? await sha256OfFile(input.dataPath) : null;
  if (input.expectedSha256 && input.expectedSha256.toLowerCase() !== sha256) {
    throw new MediadError('MEDIAD_ERR_CHECKSUM_MISMATCH', `sha256 is ${sha256}, expected ${input.expectedSha256.toLowerCase()}`);
  }
  const target = path.join(input.downloadDir, input.filename);
  const finalPath = placeCreatingFolder(input.dataPath, sourceStat, target);
  const finished: FinishedFile = { path: finalPath, name: path.basename(finalPath), size, sha256 };
  input.recordFinish(finished);
  unlinkIfThere(input.dataPath);
  await syncDirectory(path.dirname(finalPath));
  return finished;
}

/** Most downloads go into a folder that is there already: create it only when placing fails for want of it. */
function placeCreatingFolder(source: string, sourceStat: Stats, target: string): string {
  try {
    return placeWithoutOverwrite(source, sourceStat, target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !existsSync(source)) throw error; // no data: no folder for it either
  }
  mkdirSync(path.dirname(target), { recursive: true });
  return placeWithoutOverwrite(source, sourceStat, target);
}

/** Hard-links `source` as `target`, `target (1)`, … ; a name that already is our inode (a crash after linking) is reused. */
function placeWithoutOverwrite(source: string, sourceStat: Stats, target: string): string {
  const name = path.basename(target);
  for (let n = 0; n < 10_000; n++) {
    const candidate = path.join(path.dirname(target), numberedName(name, n));
    try {
      linkSync(source, candidate);
      return candidate;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') {
        const existing = statSync(candidate, { throwIfNoEntry: false });
        if (existing && existing.ino === sourceStat.ino && existing.dev === sourceStat.dev) return candidate;
        continue;
      }
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EXDEV') return renameExclusive(source, path.dirname(target), name, n);
      throw error;
    }
  }
  throw new MediadError('MEDIAD_ERR_DISK_UNWRITABLE', `no free name for ${target}`);
}

/** Filesystems without hard links: reserve the name with O_EXCL, then rename over our own placeholder. */
function renameExclusive(source: string, dir: string, name: string, from: number): string {
  for (let n = from; n < 10_000; n++) {
    const candidate = path.join(dir, numberedName(name, n));
    try {
      closeSync(openSync(candidate, 'wx'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw error;
    }
    renameSync(source, candidate);
    return candidate;
  }
  throw new MediadError('MEDIAD_ERR_DISK_UNWRITABLE', `no free name for ${name}`);
}
