/**
 * The fixed pool of worker processes: spawn `size` workers, replace any that
 * dies (so the pool is back to full size within a few seconds), forward
 * cancels, and on shutdown let each worker checkpoint, then kill stragglers.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isFromWorker, type ToWorker } from '../worker/messages.ts';

export interface PoolLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface WorkerPool {
  readonly size: number;
  pids(): number[];
  /** Downloads running in all workers together. */
  busyCount(): number;
  broadcast(message: ToWorker): void;
  /** Asks every worker to stop; SIGKILLs those still running after `timeoutMs`. */
  shutdown(timeoutMs: number): Promise<void>;
}

export interface PoolOptions {
  readonly size: number;
  /** Passed to each worker: where Redis is (the embedded server's socket or the configured URL). */
  readonly env: NodeJS.ProcessEnv;
  readonly log: PoolLog;
  readonly entry?: string;
  /** Told when a worker died unasked (before its replacement starts), to clear what it leaves on disk. */
  readonly onWorkerDied?: (pid: number) => void;
}

interface Slot {
  child: ChildProcess;
  jobIds: readonly string[];
  startedAt: number;
  restarts: number;
}

const here = fileURLToPath(import.meta.url);
const defaultEntry = path.join(path.dirname(here), '..', 'worker', `main${path.extname(here)}`);

/** Delay before respawning a worker: quick, but backing off if it keeps dying right after start. */
export function respawnDelayMs(restartsInARow: number): number {
  return Math.min(5000, 100 * 2 ** Math.min(restartsInARow, 6));
}

/**
 * A worker streams bytes through off-heap buffers; what it keeps on the JS heap is small. V8's default young
 * generation (16 MiB semi-spaces) and glibc's per-thread malloc arenas (libuv's pool writes from 4 threads) each
 * hold tens of MiB that a worker does not need: about 70 MiB less for 2 workers × 2 downloads, ~5 % slower.
 * With that small young generation and V8's default old one, a worker in the daemon often ran a full GC every few
 * MiB of a big download (2 GiB: 2.0–4.7 CPU s per GiB, bimodal); a 16 MiB initial old generation made that rarer
 * and takes no memory (bench workload 4: 209 MiB, against 222 without it and 243 with 32 MiB), and `--expose-gc`
 * lets the engine run a scavenge every few MiB of body, which removed the rest (see v8-young-gc.ts).
 * Semi-spaces of 2 MiB, not 1: many small files allocate ~100 KiB of short-lived objects each, and 8 jobs in flight
 * keep ~130 KiB alive across every scavenge, so 1 MiB meant a 1.3 ms scavenge every ~8 files and promotions that
 * fed full GCs (2000 × 16 KiB, 2 workers: 2.25 → 2.10 worker CPU ms per file, bench 485 → 599 files/s); 4 MiB
 * saved a little more CPU but held ~14 MiB more per worker in a 2 × 1 GiB download, where 2 MiB held ~3 MiB more.
 * The supervisor's own heap sizes (it serves the API: see package.json) are not the workers'; an
 * operator's MALLOC_ARENA_MAX wins. The supervisor's script flags (`-e`, `-p`) are dropped: a worker given
 * `-e 'import("./main.js")'` would run that instead of its entry — a supervisor per worker — and `--input-type`
 * without `-e` makes node refuse to start.
 */
export function workerExecArgv(parentArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < parentArgv.length; i++) {
    const arg = parentArgv[i] as string;
    if (scriptFlags.has(arg)) i++; // and its script
    else if (!notForWorkers.test(arg)) kept.push(arg);
  }
  return [...kept, ...workerV8Flags];
}

export const workerV8Flags = ['--max-semi-space-size=2', '--initial-old-space-size=16', '--expose-gc'] as const;
const scriptFlags = new Set(['-e', '--eval', '-p', '--print']);
const notForWorkers = /^--(max-semi-space-size|initial-old-space-size|input-type)|^--(eval|print)=/;

export function workerEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return env['MALLOC_ARENA_MAX'] === undefined ? { ...env, MALLOC_ARENA_MAX: '2' } : env;
}

export function startWorkerPool(options: PoolOptions): WorkerPool {
  const slots: Slot[] = [];
  let stopping = false;

  const spawnInto = (index: number, restarts: number) => {
    const child = fork(options.entry ?? defaultEntry, [], {
      env: workerEnv(options.env), execArgv: workerExecArgv(process.execArgv), stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json',
    });
    const slot: Slot = { child, jobIds: [], startedAt: Date.now(), restarts };
    slots[index] = slot;
    child.on('message', (message) => {
      if (isFromWorker(message) && message.type === 'jobs') slot.jobIds = message.jobIds;
    });
    child.on('exit', (code, signal) => {
      if (stopping) return;
      const quick = Date.now() - slot.startedAt < 5000;
      const next = quick ? slot.restarts + 1 : 0;
      options.log.warn({ workerPid: child.pid, code, signal, jobIds: slot.jobIds }, 'worker process died; replacing it (its jobs resume from their checkpoints)');
      try {
        options.onWorkerDied?.(child.pid as number);
      } catch (error) {
        options.log.warn({ err: (error as Error).message }, 'could not clear what a dead worker left');
      }
      setTimeout(() => { if (!stopping) spawnInto(index, next); }, respawnDelayMs(next - 1 < 0 ? 0 : next - 1)).unref();
    });
    child.on('error', (error) => options.log.warn({ err: error.message }, 'worker process error'));
  };

  for (let index = 0; index < options.size; index++) spawnInto(index, 0);
  options.log.info({ size: options.size, pids: slots.map((slot) => slot.child.pid) }, 'worker pool started');

  const alive = () => slots.filter((slot) => slot.child.exitCode === null && slot.child.signalCode === null);
  // A worker can be gone before the pool hears of it: Ctrl-C and systemd's stop signal the whole group, so at shutdown
  // the workers are often exiting already. The write to its channel then fails; its exit (which shutdown waits for,
  // and which otherwise gets a replacement) is what matters, so the failed write is not reported as a worker error.
  const tell = (slot: Slot, message: ToWorker) => {
    if (slot.child.connected) slot.child.send(message, () => undefined);
  };

  return {
    size: options.size,
    pids: () => alive().map((slot) => slot.child.pid as number),
    busyCount: () => alive().reduce((sum, slot) => sum + slot.jobIds.length, 0),
    broadcast(message) {
      for (const slot of alive()) tell(slot, message);
    },
    async shutdown(timeoutMs) {
      stopping = true;
      const running = alive();
      const exits = running.map((slot) => new Promise<void>((resolve) => {
        if (slot.child.exitCode !== null || slot.child.signalCode !== null) return resolve();
        slot.child.once('exit', () => resolve());
      }));
      for (const slot of running) tell(slot, { type: 'shutdown' });
      const timer = setTimeout(() => {
        for (const slot of alive()) {
          options.log.warn({ workerPid: slot.child.pid }, 'worker did not stop in time; killing it');
          slot.child.kill('SIGKILL');
        }
      }, timeoutMs);
      await Promise.all(exits);
      clearTimeout(timer);
    },
  };
}
