/**
 * The partial data file of one download. Open, close and fstat are synchronous: µs on a local disk, where a
 * hand-off to libuv's thread pool costs 20–40 µs of CPU (see partial-lock.ts) and a small file pays for each.
 * fdatasync, which can take milliseconds, goes through the thread pool; so do writes, unless the engine asks
 * for one in line (writevSync: see writeInlineFor).
 */
import { closeSync, fdatasync, fstatSync, openSync, writev, writevSync } from 'node:fs';
import { directWriter, probePathNear, returnAlignedBlock, takeAlignedBlock } from './direct-io.ts';
import { unlinkIfThere } from './partial-paths.ts';
import type { AroundWriter } from './write-blocks.ts';

/** `writeAround` follows direct-io.ts's rules on position and size, and writes fewer bytes when the file system will not. */
export interface DataFile extends AroundWriter {
  size(): number;
  datasync(): Promise<void>;
  /**
   * Waits for the writes and syncs still in the thread pool, then closes; never rejects, and later calls do nothing.
   * Closing under a pending write would let it land in whatever file reuses the descriptor number.
   */
  close(): Promise<void>;
}

/**
 * `new` starts over on a new inode: an old file of that name may already be hard-linked into the download folder as
 * the finished file (a kill between placing it and writing the done marker), and emptying it in place would empty
 * the user's file too. `r+` keeps what is there (a resume).
 */
export function openDataFile(path: string, flags: 'new' | 'r+', onDirectRefused: (reason: string) => void = () => undefined): DataFile {
  const fd = flags === 'new' ? openNew(path) : openSync(path, 'r+');
  const around = directWriter(`/proc/self/fd/${fd}`, onDirectRefused); // the same inode, whatever happens to the name
  const pending = new Set<Promise<unknown>>();
  let closed = false;
  const track = <T>(start: () => Promise<T>): Promise<T> => {
    if (closed) return Promise.reject(new Error('data file is closed')); // before starting: the number may be reused
    const operation = start();
    pending.add(operation);
    const settle = () => pending.delete(operation);
    operation.then(settle, settle);
    return operation;
  };
  return {
    writev: (buffers, position) => track(() => new Promise((resolve, reject) => {
      writev(fd, buffers, position, (error, bytesWritten) => (error ? reject(error) : resolve({ bytesWritten })));
    })),
    writevSync: (buffers, position) => {
      if (closed) throw new Error('data file is closed');
      return writevSync(fd, buffers, position);
    },
    writeAround: (block, offset, length, position, inline) => track(() => around.write(block, offset, length, position, inline)),
    aroundRefused: () => around.refused(),
    alignedBlock: () => takeAlignedBlock(probePathNear(path)), // the probe needs a name in the same file system
    releaseBlock: returnAlignedBlock,
    datasync: () => track(() => new Promise<void>((resolve, reject) => {
      fdatasync(fd, (error) => (error ? reject(error) : resolve()));
    })),
    size: () => fstatSync(fd).size,
    async close() {
      if (closed) return;
      closed = true;
      if (pending.size > 0) await Promise.allSettled(pending);
      try {
        around.close();
      } catch {
        // as below
      }
      try {
        closeSync(fd);
      } catch {
        // what reached the file is in it, and a checkpoint only ever claims synced bytes: nothing to undo
      }
    },
  };
}

/** O_EXCL first: there is rarely an old file, and an unlink that fails with ENOENT costs a thrown exception. */
function openNew(path: string): number {
  try {
    return openSync(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  unlinkIfThere(path);
  return openSync(path, 'wx');
}
