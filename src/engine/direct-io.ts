/**
 * Writes that go around the page cache (O_DIRECT) for the bulk of big downloads.
 *
 * A buffered write copies every byte into the page cache, and on this project's bench host that copy alone swung
 * from 1 to 4 s per 2 GiB within minutes (dd and curl as much as mediad; `copy_folio_from_iter_atomic` was 62 % of
 * a one-connection worker's samples). Written around the cache, the same 2 GiB took 0.7–1.0 s and 0.1–0.3 CPU s,
 * in good minutes and bad (docs/benchmarks.md). Durability is unchanged: a checkpoint still fdatasyncs the file,
 * which also flushes the disk's cache for what was written around the page cache.
 *
 * The rules that keep it safe:
 * - O_DIRECT wants the memory, the file position and the length aligned. Positions and lengths are multiples of
 *   the page size (`directUnitBytes`); the bytes are copied into blocks whose address the device accepts, found
 *   by trial (JavaScript cannot see an address; see alignedSlab).
 * - A page of the file is never written both ways at once, or the page cache could write a stale copy over what
 *   went around it. Each connection writes only its own segment, one block at a time, and of each block whole
 *   pages around the cache and the unaligned ends through it (`directSplit`). A page written around the cache
 *   thus lies wholly inside one connection's range, and no other connection touches it.
 * - A file system that refuses O_DIRECT (tmpfs) or an address it will not take (EINVAL) turns the file back to
 *   buffered writes; nothing is lost, the bytes are written the ordinary way.
 */
import { closeSync, constants, openSync, readFileSync, unlinkSync, write, writeSync } from 'node:fs';
import path from 'node:path';
import { inDir } from './partial-paths.ts';

/** Direct writes start and end on multiples of this: the page size (a unit never shares a page with another). */
export const directUnitBytes = pageBytes();
/** Bytes copied and written around the cache per write. */
export const directBlockBytes = 1024 * 1024;
const blocksPerSlab = 4;
const maxAlignment = 4096;

/** How one block of `size` bytes at `position` is written. */
export interface DirectSplit {
  /** Bytes written first through the page cache, up to the next unit boundary. */
  readonly head: number;
  /** Then this many bytes around it, a multiple of the unit; the rest goes through the cache again. */
  readonly direct: number;
}

/**
 * The plan for one block. Below `minDirectBytes` of aligned bytes everything goes through the cache as before:
 * a small or slow transfer gains nothing from going around it.
 */
export function directSplit(position: number, size: number, unit = directUnitBytes, minDirectBytes = 64 * 1024): DirectSplit {
  const head = Math.min(size, (unit - (position % unit)) % unit);
  const direct = Math.floor((size - head) / unit) * unit;
  return direct < minDirectBytes ? { head: size, direct: 0 } : { head, direct };
}

/** The O_DIRECT side of one data file; opened on first use. */
export interface DirectWriter {
  /**
   * Writes `length` bytes of `block` from `offset` at `position` around the page cache; all three aligned (a block
   * from `takeAlignedBlock`, offsets and lengths in whole units). Answers how many bytes it wrote: fewer on a short
   * write (a nearly full disk), and 0 once the file system has refused (then always); the caller writes the rest
   * through the cache.
   */
  write(block: Buffer, offset: number, length: number, position: number, inline: boolean): Promise<number>;
  /** Whether the file system said no to this file (then write through the cache). */
  refused(): boolean;
  close(): void;
}

/** `path`: what to open with O_DIRECT, e.g. `/proc/self/fd/<n>` to reach the file another descriptor has open. */
export function directWriter(path: string, onRefused: (reason: string) => void): DirectWriter {
  let fd: number | undefined;
  let refused = false;
  const refuse = (reason: string) => {
    refused = true;
    onRefused(reason);
    return 0;
  };
  return {
    async write(block, offset, length, position, inline) {
      if (refused) return 0;
      if (fd === undefined) {
        try {
          fd = openSync(path, constants.O_WRONLY | constants.O_DIRECT);
        } catch (error) {
          return refuse(`cannot open for O_DIRECT (${(error as NodeJS.ErrnoException).code})`);
        }
      }
      try {
        return inline ? writeSync(fd, block, offset, length, position) : await writeAsync(fd, block, offset, length, position);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EINVAL' && code !== 'EOPNOTSUPP' && code !== 'ENOTSUP') throw error;
        return refuse(`the file system refused an O_DIRECT write (${code})`);
      }
    },
    refused: () => refused,
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

/** The page size, from the auxiliary vector the kernel gave this process (AT_PAGESZ); 64 KiB, the largest Linux uses, when unreadable. */
export function pageBytes(auxv: () => Buffer = () => readFileSync('/proc/self/auxv')): number {
  try {
    const vector = auxv();
    for (let at = 0; at + 16 <= vector.length; at += 16) {
      if (vector.readBigUInt64LE(at) === 6n) return Number(vector.readBigUInt64LE(at + 8));
    }
  } catch {
    // not Linux, or no /proc: the fallback below
  }
  return 64 * 1024;
}

function writeAsync(fd: number, block: Buffer, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => write(fd, block, offset, length, position, (error, written) => (error ? reject(error) : resolve(written))));
}

const freeBlocks: Buffer[] = [];
const noAlignedMemoryIn = new Set<string>();

/** The scratch file of the alignment trial, beside the data; one a kill leaves behind is swept (spare-files.ts). */
export function probePathNear(dataPath: string): string {
  return inDir(path.dirname(dataPath), `direct-probe.${process.pid}.tmp`);
}

/**
 * A free block of `directBlockBytes` whose address O_DIRECT accepts, carving a new slab when none is free; undefined
 * when no aligned address was found. Give it back with `returnAlignedBlock` once no write reads it any more.
 */
export function takeAlignedBlock(probePath: string): Buffer | undefined {
  if (freeBlocks.length === 0) {
    const dir = path.dirname(probePath);
    if (noAlignedMemoryIn.has(dir)) return undefined;
    const slab = alignedSlab(blocksPerSlab * directBlockBytes, probePath);
    if (slab === undefined) {
      noAlignedMemoryIn.add(dir); // a file system without O_DIRECT: one trial per folder, not one per block
      return undefined;
    }
    for (let i = 0; i < blocksPerSlab; i++) freeBlocks.push(slab.subarray(i * directBlockBytes, (i + 1) * directBlockBytes));
  }
  return freeBlocks.pop();
}

export function returnAlignedBlock(block: Buffer): void {
  freeBlocks.push(block);
}

/**
 * `size` bytes of memory that O_DIRECT accepts on the device of `probePath`. JavaScript can neither choose nor
 * read a buffer's address, so this allocates a little more and tries an O_DIRECT write of one page from each
 * 16-byte step (malloc's alignment) into a scratch file until the kernel takes one (a misaligned one fails with
 * EINVAL at once). Every address that many bytes further on is as well aligned, so the blocks carved from the
 * result at multiples of a page are too.
 */
export function alignedSlab(size: number, probePath: string): Buffer | undefined {
  const raw = Buffer.allocUnsafeSlow(size + maxAlignment);
  raw.fill(0, 0, 2 * maxAlignment); // the trial writes these bytes to disk: never leftover heap
  let fd: number;
  try {
    fd = openSync(probePath, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_DIRECT, 0o600);
  } catch {
    return undefined;
  }
  try {
    for (let offset = 0; offset < maxAlignment; offset += 16) {
      try {
        writeSync(fd, raw, offset, maxAlignment, 0);
        return raw.subarray(offset, offset + size);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EINVAL') return undefined;
      }
    }
    return undefined;
  } finally {
    closeSync(fd);
    try {
      unlinkSync(probePath);
    } catch {
      // left behind: swept at the next start (sweepDeadSpares)
    }
  }
}
