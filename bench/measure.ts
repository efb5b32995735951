/**
 * One measured run of mediad or of a peer tool: caches reset, then wall time,
 * CPU split by process, optionally peak memory, then a correctness check of
 * what was written. A wrong or missing file is a failure of the run, printed.
 */
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { commandsBetween, startDaemon, type JobView, type RunningDaemon } from './daemon.ts';
import type { DataFile, Dataset } from './dataset.ts';
import type { Ceilings } from './machine-probes.ts';
import { observe } from './observations.ts';
import type { BenchOptions } from './options.ts';
import type { OriginProcess } from './origin-process.ts';
import { resetCaches, warmFiles } from './page-cache.ts';
import { cpuBetween, cpuSnapshot, sampleMemory, type CpuUse, type MemoryPeaks } from './proc-stats.ts';
import { onQuietMachine, waitForQuietMachine } from './quiet-machine.ts';
import { runTimed } from './timed-command.ts';
import { verifyDownloads, type Downloaded } from './verify.ts';

export interface BenchContext {
  readonly options: BenchOptions;
  readonly dataset: Dataset;
  readonly origin: OriginProcess;
  readonly ceilings: Ceilings;
  log(line: string): void;
}

/** An empty folder for one measurement under the work folder. */
export async function freshDir(context: BenchContext, label: string): Promise<string> {
  const dir = path.join(context.options.workDir, label);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  return dir;
}

export interface MediadJob {
  readonly source: DataFile;
  readonly url: string;
  readonly filename: string;
  readonly connections?: number;
}

export interface MediadRunOptions {
  readonly label: string;
  readonly workers: number;
  readonly jobsPerWorker: number;
  readonly connections: number;
  readonly jobs: readonly MediadJob[];
  /** POSTs in flight at once while enqueuing. */
  readonly enqueueConcurrency?: number;
  /** Enqueue by lists of this many (POST /v1/downloads/batch, one list after the other) instead of one POST per job. */
  readonly listSize?: number;
  readonly sampleMemory?: boolean;
  /** Files to sha256 ourselves (besides checking every size and every reported hash). */
  readonly hashSample: number;
  readonly cpuProfileDir?: string | undefined;
  readonly timeoutMs: number;
  readonly pollMs?: number;
  /** False for figures other load does not spoil (memory): measured once, without waiting for a quiet machine. */
  readonly cpuSensitive?: boolean;
  /** Count the Redis commands the run caused (INFO commandstats before and after). */
  readonly countRedisCommands?: boolean;
  /**
   * Downloads like the measured ones, fetched (in lists of `listSize`) after the common warm-up, so the code paths
   * of this workload are compiled too: two 8 MiB downloads per slot barely run the per-job paths that dominate a
   * small file. Kept until the run ends, like every warm-up file (see `settleWarmUp`).
   */
  readonly warmUpJobs?: readonly MediadJob[];
}

export interface MediadRun {
  /** From the first POST to the last job's finishedAt. */
  readonly wallSeconds: number;
  readonly cpu: CpuUse;
  readonly memory: MemoryPeaks | undefined;
  readonly failures: readonly string[];
  readonly daemonPid: number;
  /** The measured interval on CLOCK_MONOTONIC in µs (the clock of V8's CPU profiles), to cut start-up out of a profile. */
  readonly window: ProfileWindow;
  readonly origin: OriginUse;
  /** Redis commands by name during the run, when asked for (includes the bench's own polling of the API). */
  readonly redisCommands?: ReadonlyMap<string, number> | undefined;
}

export interface OriginUse {
  /** Requests the origin answered during the run. */
  readonly requests: number;
  /** Responses in flight on average over the wall time: the connections the client kept busy. */
  readonly busyConnections: number;
}

export interface ProfileWindow {
  readonly startUs: number;
  readonly endUs: number;
}

export const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/** Waits until the daemon's processes (workers still loading) stop using CPU, so start-up is not measured. */
export async function waitUntilQuiet(daemonPid: number, originPid: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const before = cpuSnapshot(daemonPid, originPid);
    await sleep(250);
    const use = cpuBetween(before, cpuSnapshot(daemonPid, originPid));
    if (use.mediad / use.wallSeconds < 0.05) return;
  }
}

/**
 * A daemon is long-lived: before timing, give every worker a couple of real downloads (an 8 MiB file over
 * ranges, finished and hashed) so V8 has compiled the hot paths. BullMQ hands jobs to the blocked workers in turn.
 */
export async function warmUp(context: BenchContext, daemon: RunningDaemon, downloadsAtOnce: number): Promise<void> {
  await waitUntilQuiet(daemon.pid, context.origin.pid);
  const ids: string[] = [];
  for (let i = 0; i < downloadsAtOnce * 2; i++) ids.push((await daemon.enqueue({ url: context.origin.url(context.dataset.warmup.rel), filename: `warmup/${i}.bin` })).id);
  await settleWarmUp(daemon, ids, 120_000);
}

/** The POST body of one download. */
const bodyOf = (job: MediadJob) => ({ url: job.url, filename: job.filename, ...(job.connections === undefined ? {} : { connections: job.connections }) });

async function warmUpWith(daemon: RunningDaemon, jobs: readonly MediadJob[], listSize: number): Promise<void> {
  const ids = await enqueueLists((bodies) => daemon.enqueueList(bodies), jobs.map(bodyOf), listSize);
  await settleWarmUp(daemon, ids, 300_000);
}

/**
 * Waits for warm-up jobs and notes any that did not complete. What they downloaded stays until the run's folder is
 * removed: on ext4 without a journal (the bench VM) a create checks every free inode whose inode table block is
 * still cached with a deletion time less than a minute old (up to 0.4 ms of system time per create after thousands
 * of deletes), so deletions just before timing would be charged to mediad alone.
 */
async function settleWarmUp(daemon: RunningDaemon, ids: readonly string[], timeoutMs: number): Promise<void> {
  const { jobs, stuck } = await daemon.waitForJobs(ids, timeoutMs);
  const bad = [...jobs.values()].filter((job) => job.state !== 'completed');
  if (stuck.length > 0 || bad.length > 0) observe(`warm-up downloads did not all complete: ${stuck.length} stuck, ${bad.map((job) => `${job.state} ${job.error?.code ?? ''}`).join(', ')}`);
}

async function enqueueAll(enqueue: (job: MediadJob) => Promise<JobView>, jobs: readonly MediadJob[], concurrency: number): Promise<string[]> {
  const ids: string[] = new Array<string>(jobs.length);
  let next = 0;
  const poster = async () => {
    for (let index = next++; index < jobs.length; index = next++) ids[index] = (await enqueue(jobs[index] as MediadJob)).id;
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, poster));
  return ids;
}

async function enqueueLists(enqueueList: (bodies: Record<string, unknown>[]) => Promise<JobView[]>, bodies: readonly Record<string, unknown>[], size: number): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < bodies.length; start += size) ids.push(...(await enqueueList(bodies.slice(start, start + size))).map((job) => job.id));
  return ids;
}

/** One measured mediad run on a quiet machine (repeated when other processes took CPU during it). */
export function measureMediad(context: BenchContext, run: MediadRunOptions): Promise<MediadRun> {
  // a profile only shows the profiled processes' own samples, so other load does not spoil it: measure it once
  if (run.cpuProfileDir) return waitForQuietMachine(context.log).then(() => measureMediadOnce(context, run));
  if (run.cpuSensitive === false) return measureMediadOnce(context, run);
  return onQuietMachine(run.label, context.log, () => measureMediadOnce(context, run), (result) => result.cpu.unexplained / result.cpu.wallSeconds);
}

async function measureMediadOnce(context: BenchContext, run: MediadRunOptions): Promise<MediadRun> {
  const dir = await freshDir(context, run.label);
  await warmFiles(context.dataset.dir, [context.dataset.warmup.rel]); // the caches are reset after the warm-up, before timing
  const daemon = await startDaemon({
    workers: run.workers, jobsPerWorker: run.jobsPerWorker, connections: run.connections, fromSource: context.options.fromSource, runDir: dir, cpuProfileDir: run.cpuProfileDir,
  });
  try {
    await warmUp(context, daemon, run.workers * run.jobsPerWorker);
    if (run.warmUpJobs) await warmUpWith(daemon, run.warmUpJobs, run.listSize ?? 500);
    // The peers start right after a cache drop; so does the timed part here. Not after the warm-up alone: on ext4
    // without a journal its creates read back the inode table blocks of the files the previous run deleted, and a
    // create checks every free inode there with a deletion time under a minute old, which the peers never see.
    await resetCaches(context.dataset.dir, run.jobs.map((job) => job.source.rel));
    await waitUntilQuiet(daemon.pid, context.origin.pid);
    const before = cpuSnapshot(daemon.pid, context.origin.pid);
    const memory = run.sampleMemory ? sampleMemory(daemon.pid) : undefined;
    const redisBefore = run.countRedisCommands ? await daemon.redisCommands() : undefined;
    const originBefore = await context.origin.stats();
    const startUs = monotonicUs();
    const startedAtMs = Date.now();
    const ids = run.listSize
      ? await enqueueLists((bodies) => daemon.enqueueList(bodies), run.jobs.map(bodyOf), run.listSize)
      : await enqueueAll((job) => daemon.enqueue(bodyOf(job)), run.jobs, run.enqueueConcurrency ?? 16);
    const { jobs, stuck } = await daemon.waitForJobs(ids, run.timeoutMs, run.pollMs);
    const cpu = cpuBetween(before, cpuSnapshot(daemon.pid, context.origin.pid));
    const window = { startUs, endUs: monotonicUs() };
    const peaks = memory?.stop();
    const redisCommands = redisBefore ? commandsBetween(redisBefore, await daemon.redisCommands()) : undefined;
    const originAfter = await context.origin.stats();
    const failures: string[] = [];
    for (const id of stuck) {
      const job = await daemon.getJob(id).catch(() => undefined);
      failures.push(`job ${id} still ${job?.state ?? 'unknown'} after ${run.timeoutMs / 1000} s (attempts ${job?.attempts ?? '?'}, last error ${job?.error?.code ?? 'none'})`);
    }
    const downloaded: Downloaded[] = [];
    let lastFinishedMs = startedAtMs;
    ids.forEach((id, index) => {
      const job = jobs.get(id);
      if (!job) return;
      if (job.state !== 'completed' || !job.file) {
        failures.push(`job ${id} (${run.jobs[index]?.filename}) ended ${job.state}: ${job.error?.code ?? ''} ${job.error?.message ?? ''}`);
        return;
      }
      lastFinishedMs = Math.max(lastFinishedMs, Date.parse(job.finishedAt ?? ''));
      downloaded.push({ path: job.file.path, source: (run.jobs[index] as MediadJob).source, reportedSha256: job.file.sha256 });
    });
    const verification = await verifyDownloads(downloaded, run.hashSample);
    failures.push(...verification.problems);
    for (const failure of failures.slice(0, 10)) observe(`${run.label}: ${failure}`);
    if (failures.length > 10) observe(`${run.label}: … and ${failures.length - 10} more failures`);
    const wallSeconds = (lastFinishedMs - startedAtMs) / 1000;
    return {
      wallSeconds, cpu, memory: peaks, failures, daemonPid: daemon.pid, window, redisCommands,
      origin: { requests: originAfter.requests - originBefore.requests, busyConnections: (originAfter.activeResponseMs - originBefore.activeResponseMs) / 1000 / wallSeconds },
    };
  } finally {
    await daemon.stop();
    await keepLog(context, daemon.logFile, run.label);
    await rm(dir, { recursive: true, force: true });
  }
}

export async function keepLog(context: BenchContext, logFile: string, label: string): Promise<void> {
  const logs = path.join(context.options.workDir, 'logs');
  await mkdir(logs, { recursive: true });
  await copyFile(logFile, path.join(logs, `${label}.log`)).catch(() => undefined);
}

export interface ToolRunOptions {
  readonly label: string;
  /** The command, given the folder it writes into. */
  readonly command: (dir: string) => readonly string[];
  /** Written before the run (e.g. aria2c's input list). */
  readonly prepare?: (dir: string) => Promise<void>;
  readonly sources: readonly DataFile[];
  /** Where each source should end up, given the folder. */
  readonly outputs: (dir: string) => readonly Downloaded[];
  readonly hashSample: number;
}

export interface ToolRun {
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  /** The user-space part of cpuSeconds. */
  readonly userSeconds: number;
  readonly maxRssBytes: number;
  readonly originCpuSeconds: number;
  readonly machineBusyFraction: number;
  /** Busy CPU that neither the tool, the origin nor the bench explains (other processes). */
  readonly unexplainedCpuSeconds: number;
  readonly failures: readonly string[];
  readonly origin: OriginUse;
}

/** One measured peer-tool run on a quiet machine (repeated when other processes took CPU during it). */
export function measureTool(context: BenchContext, run: ToolRunOptions): Promise<ToolRun> {
  return onQuietMachine(run.label, context.log, () => measureToolOnce(context, run), (result) => result.unexplainedCpuSeconds / result.wallSeconds);
}

async function measureToolOnce(context: BenchContext, run: ToolRunOptions): Promise<ToolRun> {
  const dir = await freshDir(context, run.label);
  try {
    await run.prepare?.(dir);
    await resetCaches(context.dataset.dir, run.sources.map((source) => source.rel));
    const originBefore = await context.origin.stats();
    const before = cpuSnapshot(undefined, context.origin.pid);
    const result = await runTimed(run.command(dir), dir);
    const use = cpuBetween(before, cpuSnapshot(undefined, context.origin.pid));
    const originAfter = await context.origin.stats();
    const failures: string[] = [];
    if (result.exitCode !== 0) failures.push(`${run.label} exited with ${result.exitCode}: ${result.stderr.trim().slice(-500)}`);
    failures.push(...(await verifyDownloads(run.outputs(dir), run.hashSample)).problems);
    for (const failure of failures.slice(0, 5)) process.stderr.write(`!! ${run.label} (peer tool): ${failure}\n`);
    return {
      wallSeconds: result.wallSeconds, cpuSeconds: result.cpuSeconds, userSeconds: result.userSeconds, maxRssBytes: result.maxRssBytes,
      originCpuSeconds: use.origin, machineBusyFraction: use.machineBusyFraction, unexplainedCpuSeconds: Math.max(0, use.unexplained - result.cpuSeconds), failures,
      origin: { requests: originAfter.requests - originBefore.requests, busyConnections: (originAfter.activeResponseMs - originBefore.activeResponseMs) / 1000 / result.wallSeconds },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
