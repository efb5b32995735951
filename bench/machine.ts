/** Facts about the machine and the tools, for the report. */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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
  /** What hands this guest's memory back to its host (empty when nothing was seen): page-cache writes may pay for it. */
  readonly memoryReturn: readonly string[];
  readonly commit: string;
}

function firstLine(command: string, args: readonly string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0]?.trim() ?? '';
  } catch {
    return 'not available';
  }
}

function sysfs(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The numbered entries of a sysfs folder (kdamonds, schemes), none when it is absent. */
function numbered(dir: string): string[] {
  try {
    return readdirSync(dir).filter((name) => /^[0-9]+$/.test(name));
  } catch {
    return [];
  }
}

/** DAMON schemes running (admin sysfs interface) and virtio-balloon free page reporting, as far as sysfs shows them. */
function memoryReturn(): string[] {
  const found: string[] = [];
  const kdamonds = '/sys/kernel/mm/damon/admin/kdamonds';
  for (const index of numbered(kdamonds)) {
    if (sysfs(`${kdamonds}/${index}/state`) !== 'on') continue;
    const schemes = numbered(`${kdamonds}/${index}/contexts/0/schemes`);
    const actions = schemes.map((scheme) => sysfs(`${kdamonds}/${index}/contexts/0/schemes/${scheme}/action`)).filter((action) => action !== undefined);
    found.push(`DAMON running${actions.length > 0 ? ` (scheme action: ${actions.join(', ')})` : ''}`);
  }
  const reportingOrder = sysfs('/sys/module/page_reporting/parameters/page_reporting_order');
  const balloon = existsSync('/sys/bus/virtio/drivers/virtio_balloon');
  if (balloon && reportingOrder !== undefined) found.push(`virtio-balloon with free page reporting (order ${reportingOrder})`);
  return found;
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
    memoryReturn: memoryReturn(),
    filesystem: firstLine('sh', ['-c', `df -T ${workDir} | tail -1 | awk '{print $2 " on " $1}'`]),
    commit: `${firstLine('git', ['-C', repoRoot, 'rev-parse', '--short', 'HEAD'])}${changed > 0 ? ` + uncommitted changes to ${changed} file${changed === 1 ? '' : 's'} in src/` : ''}`,
  };
}
