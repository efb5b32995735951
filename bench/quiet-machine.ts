/**
 * The machine is shared (other sessions run type checks and tests on it):
 * wait until it is quiet before a measured run, and repeat a run during which
 * other processes used a noticeable share of the CPU.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuBetween, cpuSnapshot } from './proc-stats.ts';

/** Busy cores from other processes that make a run worth repeating (of 2 cores). */
export const foreignCoresLimit = 0.25;
const quietCores = 0.15;
const maxWaitMs = 60_000;
const maxAttempts = 3;

let repeated = 0;
let waitedMs = 0;
let unquiet = 0;
let disturbed = 0;

export function interferenceSummary(): { repeated: number; waitedSeconds: number; unquiet: number; disturbed: number } {
  return { repeated, waitedSeconds: waitedMs / 1000, unquiet, disturbed };
}

/** Waits until, over one second, the machine's busy CPU (minus this process) is below `quietCores`. */
export async function waitForQuietMachine(log: (line: string) => void): Promise<void> {
  const started = Date.now();
  let told = false;
  for (;;) {
    const before = cpuSnapshot(undefined, undefined);
    await sleep(1000);
    const use = cpuBetween(before, cpuSnapshot(undefined, undefined));
    const busyCores = use.unexplained / use.wallSeconds;
    if (busyCores < quietCores) break;
    if (!told) log(`  waiting for other processes to leave the CPU (${busyCores.toFixed(2)} cores busy)…`);
    told = true;
    if (Date.now() - started > maxWaitMs) {
      unquiet++;
      log(`  machine still busy after ${maxWaitMs / 1000} s; measuring anyway`);
      break;
    }
  }
  waitedMs += Date.now() - started - 1000;
}

/** Runs `measure` on a quiet machine; repeats it while foreign CPU during the run exceeded the limit, and keeps the least disturbed attempt. */
export async function onQuietMachine<T>(label: string, log: (line: string) => void, measure: () => Promise<T>, foreignCores: (result: T) => number): Promise<T> {
  let best: { result: T; foreign: number } | undefined;
  for (let attempt = 1; ; attempt++) {
    await waitForQuietMachine(log);
    const result = await measure();
    const foreign = foreignCores(result);
    if (!best || foreign < best.foreign) best = { result, foreign };
    if (foreign <= foreignCoresLimit) return result;
    if (attempt >= maxAttempts) {
      disturbed++;
      log(`  ${label}: still disturbed after ${maxAttempts} attempts; keeping the least disturbed one (${best.foreign.toFixed(2)} foreign cores)`);
      return best.result;
    }
    repeated++;
    log(`  ${label}: other processes used ${foreign.toFixed(2)} cores during the run; repeating it`);
  }
}
