/**
 * Writes a list of buffers at a file position with writev, without joining them first, and survives short
 * writes: writev() may write less than asked (a nearly full disk) and fail only on the next call.
 */

/** What is needed of a FileHandle. */
export interface VectorWriter {
  writev(buffers: Buffer[], position: number): Promise<{ bytesWritten: number }>;
  /** The same write in line, blocking the caller: bytes written. */
  writevSync?(buffers: Buffer[], position: number): number;
}

/** A file that can also write around the page cache (see direct-io.ts). */
export interface AroundWriter extends VectorWriter {
  /** Writes `length` bytes of an aligned `block` from `offset` at `position` around the page cache; answers how many it wrote. */
  writeAround(block: Buffer, offset: number, length: number, position: number, inline: boolean): Promise<number>;
  /** Whether writes around the cache are off for this file (its file system refused them). */
  aroundRefused(): boolean;
  /** A block for `writeAround` (undefined when none can be had); give it back with releaseBlock. */
  alignedBlock(): Buffer | undefined;
  releaseBlock(block: Buffer): void;
}

/**
 * Writes `size` bytes of `block` from `offset` at `position`: `head` bytes through the page cache, the next `direct`
 * around it, and the rest through it again, which includes whatever the file would not write around it. The small
 * ends go in line (a page or two into the page cache); `inline` is for the part around the cache.
 */
export async function writeStagedAt(file: AroundWriter, block: Buffer, offset: number, size: number, split: { head: number; direct: number }, position: number, onWritten: (bytes: number) => void, inline: boolean): Promise<void> {
  const part = (from: number, to: number) => [block.subarray(offset + from, offset + to)];
  if (split.head > 0) await writeBlocksAt(file, part(0, split.head), split.head, position, onWritten, true);
  const around = split.direct > 0 ? await file.writeAround(block, offset + split.head, split.direct, position + split.head, inline) : 0;
  if (around > 0) onWritten(around);
  const done = split.head + around;
  if (done < size) await writeBlocksAt(file, part(done, size), size - done, position + done, onWritten, true);
}

/** writev takes at most IOV_MAX (1024 on Linux) buffers; far more tiny chunks than this are joined instead. */
const maxWritevBlocks = 256;

/**
 * Writes the first `size` bytes of `blocks` at `position`; `onWritten` hears every part that reached the file.
 * `inline`: with the file's writevSync when it has one, so the bytes are in the file when this returns.
 */
export async function writeBlocksAt(file: VectorWriter, blocks: readonly Buffer[], size: number, position: number, onWritten: (bytes: number) => void, inline = false): Promise<void> {
  let left = firstBytes(blocks, size);
  for (let offset = 0; offset < size;) {
    const bytesWritten = inline && file.writevSync ? file.writevSync(left, position + offset) : (await file.writev(left, position + offset)).bytesWritten;
    offset += bytesWritten;
    onWritten(bytesWritten);
    if (offset < size) left = withoutFirstBytes(left, bytesWritten);
  }
}

/** The first `size` bytes of `blocks` (views, no copy), joined into one when they are very many. */
export function firstBytes(blocks: readonly Buffer[], size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0, taken = 0; i < blocks.length && taken < size; i++) {
    const block = blocks[i] as Buffer;
    const part = taken + block.length > size ? block.subarray(0, size - taken) : block;
    out.push(part);
    taken += part.length;
  }
  return out.length > maxWritevBlocks ? [Buffer.concat(out, size)] : out;
}

/** `blocks` without their first `bytes` bytes. */
export function withoutFirstBytes(blocks: readonly Buffer[], bytes: number): Buffer[] {
  const out: Buffer[] = [];
  for (const block of blocks) {
    if (bytes >= block.length) bytes -= block.length;
    else {
      out.push(bytes > 0 ? block.subarray(bytes) : block);
      bytes = 0;
    }
  }
  return out;
}
