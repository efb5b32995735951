/** Facts about the machine and the tools, for the report. */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { repoRoot } from './daemon.ts';

export interface MachineFacts {
  readonly date: string;
  readonly cpus: string;
  readonly memory: string;
  readonly kernel: string;
  readonly node: string;
  readonly aria2c: string;
  readonly curl: string;
  readonly filesystem: string;
  readonly commit: string;
}

function firstLine(command: string, args: readonly string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0]?.trim() ?? '';
  } catch {
    return 'not available';
  }
}

export function machineFacts(workDir: string): MachineFacts {
  let changed = 0;
  try {
    changed = execFileSync('git', ['-C', repoRoot, 'status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).split('\n').filter(Boolean).length;
  } catch {
    changed = 0;
  }
  return {
    date: new Date().toISOString().replace(/\.[0-9]+Z$/, 'Z'),
    cpus: `${firstLine('nproc', [])} × ${os.cpus()[0]?.model ?? 'unknown CPU'}`,
    memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB RAM`,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    aria2c: firstLine('aria2c', ['--version']),
    curl: firstLine('curl', ['--version']).split(' ').slice(0, 2).join(' '),
    filesystem: firstLine('sh', ['-c', `df -T ${workDir} | tail -1 | awk '{print $2 " on " $1}'`]),
    commit: `${firstLine('git', ['-C', repoRoot, 'rev-parse', '--short', 'HEAD'])}${changed > 0 ? ` + uncommitted changes to ${changed} file${changed === 1 ? '' : 's'} in src/` : ''}`,
  };
}
