/** What the kernel says about a process, from /proc/<pid>/stat (proc(5)). Linux only, like mediad's deployments. */
import { readFileSync } from 'node:fs';

export interface ProcStat {
  readonly pid: number;
  /** R, S, D, Z (zombie: exited, holds nothing), T… */
  readonly state: string;
  readonly ppid: number;
  readonly pgid: number;
  /** Clock ticks after boot; with the pid it names one process even after pid reuse. */
  readonly startTime: string;
  /** utime + stime of the process itself, in clock ticks. */
  readonly ownTicks: number;
  /** utime alone: the part of ownTicks spent in user space (the rest is the kernel working for it). */
  readonly ownUserTicks: number;
  /** cutime + cstime: CPU of children it has reaped. */
  readonly reapedChildTicks: number;
  /** cutime alone. */
  readonly reapedChildUserTicks: number;
}

/** Parses /proc/<pid>/stat, or undefined when the process is gone. */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm is in parentheses and may itself contain spaces and ')': fields start after the last ')'
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const at = (index: number) => Number(fields[index]);
  return {
    pid, state: fields[0] ?? '?', ppid: at(1), pgid: at(2), startTime: fields[19] ?? '',
    ownTicks: at(11) + at(12), ownUserTicks: at(11), reapedChildTicks: at(13) + at(14), reapedChildUserTicks: at(13),
  };
}

/** Alive in the sense that matters here: it exists and is neither a zombie nor dead (X, seen only in passing). */
export function isRunning(pid: number): boolean {
  const stat = readProcStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

/** Kernel start time of a process, or undefined when it is not running. */
export function processStartTime(pid: number): string | undefined {
  const stat = readProcStat(pid);
  return stat && stat.state !== 'Z' ? stat.startTime : undefined;
}
