/** Runs a peer tool (curl, aria2c) under /usr/bin/time: wall time, user and system CPU, peak RSS. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { own } from './child-registry.ts';

export interface TimedResult {
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  /** The user-space part of cpuSeconds. */
  readonly userSeconds: number;
  readonly maxRssBytes: number;
  readonly exitCode: number | null;
  readonly stderr: string;
}

const timeBinary = '/usr/bin/time';

export function timeAvailable(): boolean {
  return existsSync(timeBinary);
}

/** `command` runs with cwd `dir`; its /usr/bin/time report goes to a file there (not mixed with the tool's stderr). */
export async function runTimed(command: readonly string[], dir: string): Promise<TimedResult> {
  const report = path.join(dir, '.time-report');
  const child = spawn(timeBinary, ['-o', report, '-f', '%e %U %S %M', ...command], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  own(child);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4000); });
  const started = performance.now();
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const wallSeconds = (performance.now() - started) / 1000;
  const fields = (await readFile(report, 'utf8')).trim().split('\n').pop()?.split(' ').map(Number) ?? [];
  await rm(report, { force: true });
  const [, user = 0, system = 0, maxRssKiB = 0] = fields;
  return { wallSeconds, cpuSeconds: user + system, userSeconds: user, maxRssBytes: maxRssKiB * 1024, exitCode, stderr };
}
