/**
 * CPU time and resident memory of process trees, read from /proc (proc(5)):
 * utime/stime/cutime/cstime of /proc/<pid>/stat, VmRSS of /proc/<pid>/status,
 * and the machine-wide counters of /proc/stat.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { isRunning, readProcStat, type ProcStat } from '../src/proc-stat.ts';

export const clockTicksPerSecond = readClockTicks();

function readClockTicks(): number {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
}

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

function allStats(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    const stat = readProcStat(Number(entry));
    if (stat) stats.push(stat);
  }
  return stats;
}

/** Running processes whose command line contains one of `needles` (unique temp paths of ours, so nothing else matches). */
export function processesMentioning(needles: readonly string[]): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const stat of allStats()) {
    if (stat.pid === process.pid || !isRunning(stat.pid)) continue;
    const cmdline = readCmdline(stat.pid);
    if (needles.some((needle) => cmdline.includes(needle))) found.push({ pid: stat.pid, cmdline: cmdline.trim() });
  }
  return found;
}

/** The daemon's processes by role: the supervisor (root), its workers, and the embedded redis-server. */
export interface DaemonProcesses {
  readonly supervisor: ProcStat | undefined;
  readonly workers: readonly ProcStat[];
  readonly redis: readonly ProcStat[];
}

const redisCmdlines = new Map<number, boolean>();

export function daemonProcesses(rootPid: number): DaemonProcesses {
  const stats = allStats();
  const childrenOf = new Map<number, ProcStat[]>();
  for (const stat of stats) {
    const list = childrenOf.get(stat.ppid) ?? [];
    list.push(stat);
    childrenOf.set(stat.ppid, list);
  }
  const workers: ProcStat[] = [];
  const redis: ProcStat[] = [];
  const frontier = [...(childrenOf.get(rootPid) ?? [])];
  for (let next = frontier.pop(); next; next = frontier.pop()) {
    let isRedis = redisCmdlines.get(next.pid);
    if (isRedis === undefined) {
      isRedis = readCmdline(next.pid).includes('redis-server');
      redisCmdlines.set(next.pid, isRedis);
    }
    (isRedis ? redis : workers).push(next);
    frontier.push(...(childrenOf.get(next.pid) ?? []));
  }
  return { supervisor: stats.find((stat) => stat.pid === rootPid), workers, redis };
}

/** CPU seconds used so far, split by who used them. */
export interface CpuSnapshot {
  readonly atMs: number;
  readonly supervisor: number;
  /** Live workers plus those the supervisor reaped (its cutime/cstime). */
  readonly workers: number;
  /** The user-space part of supervisor + workers (the rest is kernel time spent for them). */
  readonly mediadUser: number;
  readonly redis: number;
  readonly origin: number;
  /** This benchmark process itself (API load generator, polling, sampling). */
  readonly bench: number;
  /** Machine-wide busy and total CPU seconds (all cores) from /proc/stat. */
  readonly machineBusy: number;
  readonly machineTotal: number;
}

export function cpuSnapshot(daemonPid: number | undefined, originPid: number | undefined): CpuSnapshot {
  const tree = daemonPid === undefined ? undefined : daemonProcesses(daemonPid);
  const seconds = (ticks: number) => ticks / clockTicksPerSecond;
  const sum = (list: readonly ProcStat[] | undefined, ticks: (stat: ProcStat) => number = (stat) => stat.ownTicks) => (list ?? []).reduce((total, stat) => total + ticks(stat), 0);
  const machine = machineTicks();
  return {
    atMs: performance.now(),
    supervisor: seconds(tree?.supervisor?.ownTicks ?? 0),
    workers: seconds(sum(tree?.workers) + (tree?.supervisor?.reapedChildTicks ?? 0)),
    mediadUser: seconds((tree?.supervisor?.ownUserTicks ?? 0) + sum(tree?.workers, (stat) => stat.ownUserTicks) + (tree?.supervisor?.reapedChildUserTicks ?? 0)),
    redis: seconds(sum(tree?.redis)),
    origin: seconds(originPid === undefined ? 0 : readProcStat(originPid)?.ownTicks ?? 0),
    bench: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
    machineBusy: seconds(machine.busy),
    machineTotal: seconds(machine.total),
  };
}

export interface CpuUse {
  readonly wallSeconds: number;
  readonly supervisor: number;
  readonly workers: number;
  /** supervisor + workers: what mediad itself used (redis excluded). */
  readonly mediad: number;
  /** The user-space part of `mediad`. */
  readonly mediadUser: number;
  readonly redis: number;
  readonly origin: number;
  readonly bench: number;
  /** Busy CPU seconds machine-wide that none of the above explains: other processes on the machine (and kernel work). */
  readonly unexplained: number;
  /** Fraction of all cores busy machine-wide, 0…1. */
  readonly machineBusyFraction: number;
}

export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): CpuUse {
  const supervisor = after.supervisor - before.supervisor;
  const workers = after.workers - before.workers;
  const total = after.machineTotal - before.machineTotal;
  const redis = after.redis - before.redis;
  const origin = after.origin - before.origin;
  const bench = after.bench - before.bench;
  return {
    wallSeconds: (after.atMs - before.atMs) / 1000,
    supervisor, workers, mediad: supervisor + workers, mediadUser: after.mediadUser - before.mediadUser, redis, origin, bench,
    unexplained: after.machineBusy - before.machineBusy - supervisor - workers - redis - origin - bench,
    machineBusyFraction: total > 0 ? (after.machineBusy - before.machineBusy) / total : 0,
  };
}

function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const values = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = values.reduce((sum, value) => sum + value, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

/**
 * One read of /proc/<pid>/status: VmRSS, and its parts RssAnon + RssShmem (pages of this process alone) and
 * RssFile (mapped files: mostly the node binary, shared by every node process). Zeros once the process is gone.
 */
export function residentMemory(pid: number): { rss: number; own: number; file: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+([0-9]+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { rss: kib('VmRSS'), own: kib('RssAnon') + kib('RssShmem'), file: kib('RssFile') };
  } catch {
    return { rss: 0, own: 0, file: 0 };
  }
}

export interface MemoryPeaks {
  /** Highest sum of supervisor + workers seen in one sample. */
  readonly mediadBytes: number;
  /**
   * Highest physical memory of supervisor + workers together: their own pages summed, plus the file pages once
   * (all of them map the same node binary; summing VmRSS counts its ~40 MiB once per process).
   */
  readonly uniqueBytes: number;
  readonly supervisorBytes: number;
  /** Highest RSS of any single worker. */
  readonly workerBytes: number;
  readonly redisBytes: number;
  /** The sum at the first sample, before any work: the idle cost of the processes. */
  readonly idleBytes: number;
  readonly samples: number;
}

/** Samples the daemon's resident memory every `intervalMs` until stopped. */
export function sampleMemory(rootPid: number, intervalMs = 100): { stop(): MemoryPeaks } {
  let peaks: MemoryPeaks = { mediadBytes: 0, uniqueBytes: 0, supervisorBytes: 0, workerBytes: 0, redisBytes: 0, idleBytes: -1, samples: 0 };
  const sample = () => {
    const tree = daemonProcesses(rootPid);
    const parts = [rootPid, ...tree.workers.map((worker) => worker.pid)].map(residentMemory);
    const supervisor = (parts[0] as { rss: number }).rss;
    const workers = parts.slice(1).map((part) => part.rss);
    const redis = tree.redis.reduce((sum, stat) => sum + residentMemory(stat.pid).rss, 0);
    const mediad = supervisor + workers.reduce((sum, bytes) => sum + bytes, 0);
    const unique = parts.reduce((sum, part) => sum + part.own, 0) + Math.max(0, ...parts.map((part) => part.file));
    peaks = {
      mediadBytes: Math.max(peaks.mediadBytes, mediad), uniqueBytes: Math.max(peaks.uniqueBytes, unique), supervisorBytes: Math.max(peaks.supervisorBytes, supervisor),
      workerBytes: Math.max(peaks.workerBytes, ...workers), redisBytes: Math.max(peaks.redisBytes, redis),
      idleBytes: peaks.idleBytes < 0 ? mediad : peaks.idleBytes, samples: peaks.samples + 1,
    };
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peaks;
    },
  };
}
