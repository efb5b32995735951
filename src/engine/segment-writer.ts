/**
 * The write side of one connection: body chunks wait in a list and go to the file a block at a time.
 *
 * Chunks arrive as small as the sender's pacing (often 16–64 KiB); each write goes through libuv's thread pool
 * and pauses the body, which was a third of a worker's CPU in the capped-CDN bench. So chunks wait in a list and
 * go to disk together (one writev, no copy) once a block is in (writeBlockBytesFor) or after 100 ms.
 *
 * A connection with at least `minStagedBytes` to go writes around the page cache instead (direct-io.ts): each chunk
 * is copied, as it arrives, into an aligned block at the offset its file position has within a page, so the
 * block's pages are the file's. A full block's whole pages are written from the thread pool while the body goes
 * on into the next block, so the socket and the disk work at once; its last partial page moves on to the next block
 * (carryOver), so only the connection's first and last partial pages go through the cache. The
 * chunks die at once: a chunk kept in a list while scavenges run is promoted, and its buffer then counts toward a
 * full GC (v8-young-gc.ts); kept while a write was in flight, they set off a full GC every 30 ms. At most one write
 * per connection is in flight, so the bytes reach the file in order and `segment.written` stays exact.
 */
import { directBlockBytes, directSplit, directUnitBytes } from './direct-io.ts';
import { roomAt, type Segment } from './segments.ts';
import { writeBlocksAt, writeStagedAt, type AroundWriter } from './write-blocks.ts';
import { noteBodyBytes, writeBlockBytes, writeInline } from '../v8-young-gc.ts';

const writeBlockMaxWaitMs = 100;
/** Below this many bytes to go a connection keeps the chunks as they came (no copy): small files gain nothing. */
export const minStagedBytes = 1024 * 1024;

export interface SegmentWriterContext {
  readonly file: AroundWriter;
  /** Whether big segments may go around the page cache at all (config `directWrites`). */
  readonly around: boolean;
  readonly now: () => number;
  /** Hears every part that reached the file, in order. */
  onWritten(bytes: number): void;
  /** After each block: progress and checkpoints. */
  afterWrite(): void;
}

export class SegmentWriter {
  /** The waiting bytes: chunks as they came, or copied into an aligned block from `offset` on. */
  private readonly pending: Buffer[] = [];
  private stage: { block: Buffer; offset: number } | undefined;
  private pendingBytes = 0;
  private writingBytes = 0;
  private inFlight: Promise<void> | undefined;
  /** A write failed: what waits no longer follows what is in the file, so nothing more is written. */
  private failure: { error: unknown } | undefined;
  private lastFlushAt: number;
  private readonly onWritten = (bytes: number) => {
    this.writingBytes -= bytes;
    this.context.onWritten(bytes);
  };

  constructor(private readonly segment: Segment, private readonly context: SegmentWriterContext) {
    this.lastFlushAt = context.now();
  }

  /** Bytes taken but not yet in the file: a split must cut beyond them. */
  held(): number {
    return this.pendingBytes + this.writingBytes;
  }

  /** Where the next byte taken goes in the file. */
  nextPosition(): number {
    return this.segment.start + this.segment.written + this.held();
  }

  /** Takes the next bytes of the segment; a promise when the body must wait for a write. */
  keep(chunk: Buffer): Promise<void> | undefined {
    if (this.failure) return Promise.reject(this.failure.error);
    if (this.pendingBytes === 0 && !this.stage) this.startStage(chunk.length);
    if (this.stage) {
      const at = this.stage.offset + this.pendingBytes;
      if (at + chunk.length > this.stage.block.length) return this.flush(false).then(() => this.keep(chunk));
      chunk.copy(this.stage.block, at);
    } else {
      this.pending.push(chunk);
    }
    this.pendingBytes += chunk.length;
    // full block, or a slow transfer: progress and checkpoints must not wait for a block to fill
    if (this.pendingBytes >= writeBlockBytes() || this.context.now() - this.lastFlushAt >= writeBlockMaxWaitMs) return this.flush(false);
    return undefined;
  }

  /**
   * Writes what waits. `last`: the connection is done (its range ended, it broke or it was stopped): this returns
   * once everything is in the file, and the block goes back. Else a block written around the cache may still be
   * in flight when this returns; the next call waits for it first. Rejects with a failed write's error, from then on.
   */
  async flush(last: boolean): Promise<void> {
    this.lastFlushAt = this.context.now();
    const previous = this.inFlight;
    this.inFlight = undefined;
    await previous;
    if (this.failure) throw this.failure.error;
    const stage = this.stage;
    this.stage = undefined;
    if (this.pendingBytes === 0) {
      if (stage) this.context.file.releaseBlock(stage.block);
      return;
    }
    const position = this.segment.start + this.segment.written;
    if (stage && stage.offset !== position % directUnitBytes) {
      this.context.file.releaseBlock(stage.block);
      throw new Error(`staged bytes at page offset ${stage.offset} for file position ${position}`);
    }
    let size = roomAt(this.segment, position, this.pendingBytes); // a split may have moved our end while bytes waited
    this.pendingBytes = 0;
    const split = stage ? directSplit(position, size) : { head: size, direct: 0 };
    const overlap = split.direct > 0 && !last;
    if (stage && overlap) size -= this.carryOver(stage, split.head + split.direct, size);
    // before the write: an in-line part reports its bytes (onWritten takes them off) before the call returns
    this.writingBytes = size;
    noteBodyBytes(size);
    let write: Promise<void>;
    if (stage) {
      write = writeStagedAt(this.context.file, stage.block, stage.offset, size, split, position, this.onWritten, !overlap && writeInline())
        .finally(() => this.context.file.releaseBlock(stage.block));
    } else {
      write = writeBlocksAt(this.context.file, this.pending.splice(0), size, position, this.onWritten, writeInline());
    }
    const done = write.then(() => {
      this.context.afterWrite();
    }, (error: unknown) => {
      this.failure = { error };
      this.pending.length = 0;
      this.writingBytes = 0;
      if (this.stage) this.context.file.releaseBlock(this.stage.block);
      this.stage = undefined;
      throw error;
    });
    if (!overlap) return done;
    done.catch(() => undefined); // the next flush awaits it: not an unhandled rejection meanwhile
    this.inFlight = done;
  }

  /**
   * Moves the staged bytes after `from` (less than a page, starting on a page) to the start of a fresh block, so they
   * go around the cache with the next block instead of through it now. Only ever written one way, the last page
   * could otherwise be written through the cache, taking the file's lock, while another connection's write around
   * the cache holds it for the device's time: with 4 connections the JS thread stalled there. Answers the bytes moved.
   */
  private carryOver(stage: { block: Buffer; offset: number }, from: number, size: number): number {
    const next = this.context.file.aroundRefused() ? undefined : this.context.file.alignedBlock();
    if (!next) return 0;
    const carried = stage.block.copy(next, 0, stage.offset + from, stage.offset + size);
    this.stage = { block: next, offset: 0 };
    this.pendingBytes = carried;
    return carried;
  }

  /** Copies from here on into an aligned block, when this connection has enough to go and the file takes them. */
  private startStage(firstChunkBytes: number): void {
    const position = this.nextPosition();
    if (this.segment.end !== null && this.segment.end - position < minStagedBytes) return;
    if (position % directUnitBytes + firstChunkBytes > directBlockBytes) return; // a chunk bigger than a block stays as it is
    if (!this.context.around || this.context.file.aroundRefused()) return;
    const block = this.context.file.alignedBlock();
    if (block) this.stage = { block, offset: position % directUnitBytes };
  }
}
