/**
 * A scavenge every few MiB of response body, in the workers (they start with `--expose-gc`: see supervisor/pool.ts).
 *
 * Every socket read hands over a new off-heap buffer (up to 64 KiB) behind a wrapper of a few dozen bytes on the JS
 * heap, and the buffer is freed only when a scavenge finds the wrapper dead. A worker's young generation is small
 * (pool.ts), yet on a fast link it filled with wrappers only once per ~30 MiB of body with 1 MiB semi-spaces (less
 * often with today's 2). The V8 of Node 20 counts off-heap bytes allocated since the last full GC against the old
 * generation's limit, so those buffers, dead long before, reached that limit first: a full (mark-compact) GC every
 * ~14 MiB of a big download, 150 per 2 GiB, which with its concurrent marking doubled the worker's CPU (9 s for 2
 * GiB instead of 4.5) in most runs. A scavenge of the small young generation costs a fraction of a millisecond and
 * frees them; with one every 4 MiB no full GC ran in the 2 GiB download, against 68–80 with one every 8 MiB in two
 * runs of three. The engine's write blocks follow from the same step (writeBlockBytesFor).
 */

const scavengeEveryBytes = 4 * 1024 * 1024;

/** Counts body bytes and says when a scavenge is due. */
export class ScavengePacer {
  private bytes = 0;

  constructor(private readonly everyBytes: number) {}

  /** Adds `bytes`; true when the count crossed a multiple of `everyBytes` (at most once per call). */
  note(bytes: number): boolean {
    this.bytes += bytes;
    if (this.bytes < this.everyBytes) return false;
    this.bytes %= this.everyBytes;
    return true;
  }
}

const pacer = new ScavengePacer(scavengeEveryBytes);

/**
 * How many bytes of body the engine gathers before one writev, given how many bodies this process reads at once.
 * Bigger blocks cost less CPU (fewer writes, thread-pool trips and pauses of the body: one 2 GiB download took a
 * worker 3.4–3.6 CPU s with 256 KiB blocks, 2.7 with 512 KiB, 2.4–2.5 with 1 MiB). But a chunk that waits in a block
 * while two scavenges run is moved to the old generation, and its buffer counts toward a full GC again: with 1 MiB
 * blocks, 4 connections cost more CPU than before and 2 workers × 2 downloads × 4 connections 274 MiB instead of
 * 226 (bench workloads 2 and 4). Blocks of all bodies together stay under half a scavenge step, so a chunk rarely
 * sees two.
 */
export function writeBlockBytesFor(bodies: number): number {
  const share = Math.floor(scavengeEveryBytes / 2 / Math.max(1, bodies));
  return Math.min(maxBlockBytes, Math.max(minBlockBytes, share));
}

const minBlockBytes = 256 * 1024;
const maxBlockBytes = 1024 * 1024;
let bodiesReading = 0;

/** The engine starts reading a body; call the returned function once when it stops. */
export function bodyReading(): () => void {
  bodiesReading++;
  let stopped = false;
  return () => {
    if (!stopped) bodiesReading--;
    stopped = true;
  };
}

/** The block size for the bodies read now. */
export function writeBlockBytes(): number {
  return writeBlockBytesFor(bodiesReading);
}

/**
 * Whether a block is written in line (writevSync on the JS thread) rather than through libuv's thread pool.
 * Only while this process reads one body: then the hand-off to a pool thread and back, with the body paused until
 * the write's callback, is time the link sits idle and CPU spent on wake-ups (one 2 GiB download over one
 * connection, 9 interleaved runs each: 3.2 s and 3.0 worker CPU s, 0.50 of them user, against 3.9 s, 3.4 and
 * 0.63). With more bodies the pool writes while the JS thread reads the others; writing in line there too left
 * the JS thread doing every copy itself and was no faster (4 connections: 3.0 s against 2.8).
 */
export function writeInlineFor(bodies: number): boolean {
  return bodies <= 1;
}

/** Whether to write in line now (writeInlineFor the bodies read now). */
export function writeInline(): boolean {
  return writeInlineFor(bodiesReading);
}

/** Call with the bytes of every block of body written; does nothing in a process started without `--expose-gc`. */
export function noteBodyBytes(bytes: number): void {
  if (globalThis.gc !== undefined && pacer.note(bytes)) globalThis.gc({ type: 'minor' });
}
