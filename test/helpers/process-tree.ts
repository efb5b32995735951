import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

export { readProcStat, type ProcStat } from '../../src/proc-stat.ts';
import { readProcStat, type ProcStat } from '../../src/proc-stat.ts';

/** Every live process whose parent chain leads to `pid` (children, grandchildren, …), not `pid` itself. */
export function listDescendants(pid: number): number[] {
  const childrenOf = new Map<number, number[]>();
  for (const stat of listProcesses()) {
    const siblings = childrenOf.get(stat.ppid) ?? [];
    siblings.push(stat.pid);
    childrenOf.set(stat.ppid, siblings);
  }
  const found: number[] = [];
  const frontier = [pid];
  for (let parent = frontier.pop(); parent !== undefined; parent = frontier.pop()) {
    for (const child of childrenOf.get(parent) ?? []) {
      found.push(child);
      frontier.push(child);
    }
  }
  return found;
}

/** True while the process exists and is not a zombie (PID 1 here may never reap orphans). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM means it exists but belongs to someone else
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = readProcStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

/** The command line of a process, arguments joined by spaces; '' when it is gone. */
export function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

/** Poll until the process has exited; true if it did within `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await delay(20);
  }
  return true;
}

/** Send a signal, ignoring processes that are already gone. */
export function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // ESRCH: it exited between listing and signalling
  }
}

function listProcesses(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (stat) stats.push(stat);
  }
  return stats;
}

const exitCallbacks: (() => void)[] = [];

/**
 * Run `fn` (synchronously) when this process exits, including on SIGINT/SIGTERM/SIGHUP, which
 * skip 'exit' by default: a runner timing out a test file must not leave its children behind.
 */
export function onProcessExit(fn: () => void): void {
  if (exitCallbacks.length === 0) installExitHandlers();
  exitCallbacks.push(fn);
}

function installExitHandlers(): void {
  const runAll = (): void => {
    for (const fn of exitCallbacks.splice(0)) {
      try {
        fn();
      } catch {
        // best effort: the process is going away
      }
    }
  };
  process.once('exit', runAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      runAll();
      // re-raise with the default action unless someone else (e.g. the test runner) handles it
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.once(signal, onSignal);
  }
}
