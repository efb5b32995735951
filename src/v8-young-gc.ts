/**
 * A scavenge every few MiB of response body, in the workers (they start with `--expose-gc`: see supervisor/pool.ts).
 *
 * Every socket read hands over a new off-heap buffer (up to 64 KiB) behind a wrapper of a few dozen bytes on the JS
 * heap, and the buffer is freed only when a scavenge finds the wrapper dead. A worker's young generation is small
 * (pool.ts), yet on a fast link it fills with wrappers only once per ~30 MiB of body. The V8 of Node 20 counts
 * off-heap bytes allocated since the last full GC against the old generation's limit, so those buffers, dead long
 * before, reached that limit first: a full (mark-compact) GC every ~14 MiB of a big download, 150 per 2 GiB, which
 * with its concurrent marking doubled the worker's CPU (9 s for 2 GiB instead of 4.5) in most runs. A scavenge of
 * the small young generation costs a fraction of a millisecond and frees them; with one every 4 MiB no full GC ran
 * in the 2 GiB download, against 68–80 with one every 8 MiB in two runs of three.
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

/** Call with the bytes of every block of body written; does nothing in a process started without `--expose-gc`. */
export function noteBodyBytes(bytes: number): void {
  if (globalThis.gc !== undefined && pacer.note(bytes)) globalThis.gc({ type: 'minor' });
}
