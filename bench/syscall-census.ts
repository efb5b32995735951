/** Counts the system calls of some processes (all their threads) with `strace -c -f`; strace slows them, so only counts are meaningful. */
import { spawn, spawnSync } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { own } from './child-registry.ts';

export async function startSyscallCensus(pids: readonly number[], dir: string): Promise<{ stop(): Promise<Map<string, number>> }> {
  const output = path.join(dir, 'strace-census.txt');
  const tracer = spawn('strace', ['-c', '-f', '-o', output, ...pids.flatMap((pid) => ['-p', String(pid)])], { stdio: 'ignore' });
  own(tracer);
  const exited = new Promise<void>((resolve) => tracer.once('exit', () => resolve()));
  await sleep(500); // strace attaches to every thread before counting
  return {
    async stop() {
      tracer.kill('SIGINT');
      await exited;
      const counts = parseCounts(await readFile(output, 'utf8').catch(() => ''));
      await rm(output, { force: true });
      return counts;
    },
  };
}

/** Runs `command` under `strace -c -f` and returns its system call counts. */
export async function countSyscallsOf(command: readonly string[], dir: string): Promise<Map<string, number>> {
  const output = path.join(dir, 'strace-command.txt');
  const tracer = spawn('strace', ['-c', '-f', '-o', output, ...command], { cwd: dir, stdio: 'ignore' });
  own(tracer);
  await new Promise<void>((resolve) => tracer.once('exit', () => resolve()));
  const counts = parseCounts(await readFile(output, 'utf8').catch(() => ''));
  await rm(output, { force: true });
  return counts;
}

function parseCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    // "% time  seconds  usecs/call  calls  [errors]  syscall"
    const fields = line.trim().split(/\s+/);
    const name = fields[fields.length - 1];
    if (!name || !/^[0-9.]+$/.test(fields[0] ?? '') || name === 'total' || fields.length < 5) continue;
    counts.set(name, Number(fields[3]));
  }
  return counts;
}

export function straceAvailable(): boolean {
  return spawnSync('strace', ['-V']).status === 0;
}
