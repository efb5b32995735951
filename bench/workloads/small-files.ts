/**
 * Workload 3: many small files; mediad (2 workers × 8 downloads each) against aria2c -j16. aria2c reads its list
 * from a file; mediad gets the same list through the API (POST /v1/downloads/batch), and, for comparison, one POST
 * per file from 16 clients.
 */
import path from 'node:path';
import { mkdir, rm } from 'node:fs/promises';
import { measureMediad, measureTool, warmUp, type BenchContext, type MediadRun, type ToolRun } from '../measure.ts';
import { daemonProcesses } from '../proc-stats.ts';
import { countSyscallsOf, startSyscallCensus, straceAvailable } from '../syscall-census.ts';
import { describeCommands, startDaemon } from '../daemon.ts';
import { enqueueLine, enqueueListLine, mediadStartLine } from '../mediad-command.ts';
import { formatBytes } from '../options.ts';
import { aria2ListCommand, shellLine, writeAria2List } from '../peer-commands.ts';
import { fixed, inRotation, list, times, type WorkloadReport } from '../report-model.ts';
import { median, pairedRatios } from '../stats.ts';
import { verificationLine } from './capped-cdn.ts';

const workers = 2;
const jobsPerWorker = 8; // 16 downloads at once, as aria2c -j16
const aria2Flags = ['-j16'];
const hashSample = 50;
const listSize = 500;

function jobsOf(context: BenchContext, folder = 'small') {
  return context.dataset.small.map((source) => ({ source, url: context.origin.url(source.rel), filename: `${folder}/${path.basename(source.rel)}` }));
}

/**
 * A daemon runs for weeks: before timing, the whole list once under other names compiles the per-file paths. A quarter
 * of it was too little: after 2000 files instead of 500 a worker spent 0.3 ms less per file and the supervisor 0.1 ms
 * less (2 × 2 runs of 2000 files in lists of 500, the same hour), V8 still compiling after the shorter warm-up.
 */
const warmUpJobsOf = (context: BenchContext) => jobsOf(context, 'warmup-small');

export async function runSmallFiles(context: BenchContext, runs: number): Promise<WorkloadReport> {
  const files = context.dataset.small;
  const jobs = jobsOf(context);
  const warmUpJobs = warmUpJobsOf(context);
  const mediad: MediadRun[] = [];
  const singly: MediadRun[] = [];
  const aria2: ToolRun[] = [];
  for (let run = 0; run < runs; run++) {
    await inRotation(run, [
      async () => {
        mediad.push(await measureMediad(context, { label: `w3-mediad-${run}`, workers, jobsPerWorker, connections: 4, jobs, listSize, hashSample, timeoutMs: 600_000, pollMs: 100, countRedisCommands: true, warmUpJobs }));
        context.log(`  w3 run ${run + 1}: mediad (lists) ${fixed(files.length / mediad.at(-1)!.wallSeconds, 0)} files/s`);
      },
      async () => {
        singly.push(await measureMediad(context, { label: `w3-mediad-single-${run}`, workers, jobsPerWorker, connections: 4, jobs, hashSample, timeoutMs: 600_000, pollMs: 100, warmUpJobs }));
        context.log(`  w3 run ${run + 1}: mediad (one POST per file) ${fixed(files.length / singly.at(-1)!.wallSeconds, 0)} files/s`);
      },
      async () => {
        aria2.push(await measureTool(context, {
          label: `w3-aria2c-${run}`, sources: files, hashSample,
          prepare: async (dir) => { await writeAria2List(dir, jobs.map((job) => ({ url: job.url, out: path.basename(job.source.rel) }))); },
          command: (dir) => aria2ListCommand(aria2Flags, dir),
          outputs: (dir) => files.map((source) => ({ path: path.join(dir, 'out', path.basename(source.rel)), source })),
        }));
        context.log(`  w3 run ${run + 1}: aria2c ${fixed(files.length / aria2.at(-1)!.wallSeconds, 0)} files/s`);
      },
    ]);
  }
  const ourRate = mediad.map((run) => files.length / run.wallSeconds);
  const peerRate = aria2.map((run) => files.length / run.wallSeconds);
  const ratio = median(pairedRatios(ourRate, peerRate));
  const singleRate = singly.map((run) => files.length / run.wallSeconds);
  const singleRatio = median(pairedRatios(singleRate, peerRate));
  const wrong = mediad.some((run) => run.failures.length > 0) || singly.some((run) => run.failures.length > 0);
  const name = `3. many small files: ${files.length} × ${formatBytes(context.options.sizes.smallFileBytes)}`;
  const perFileMs = (cpu: number) => (cpu * 1000) / files.length;
  const busy = median(mediad.map((run) => run.cpu.machineBusyFraction));
  return {
    number: 3, title: name, missedTarget: wrong || !(ratio >= 1.0),
    rows: [
      { workload: name, tool: `mediad ${workers} workers, the list in ${Math.ceil(files.length / listSize)} POSTs`, median: `${fixed(median(ourRate), 0)} files/s`, ratio: `${times(ratio)} aria2c`, target: '≥ 1.0× aria2c', verdict: wrong ? 'FAIL' : ratio >= 1.0 ? 'pass' : 'FAIL' },
      { workload: name, tool: `mediad ${workers} workers, one POST per file`, median: `${fixed(median(singleRate), 0)} files/s`, ratio: `${times(singleRatio)} aria2c`, target: '—', verdict: '—' },
      { workload: name, tool: `aria2c ${aria2Flags.join(' ')}`, median: `${fixed(median(peerRate), 0)} files/s`, ratio: '—', target: '—', verdict: '—' },
    ],
    commands: [
      `mediad: \`${mediadStartLine(workers, jobsPerWorker, 4, context.options.fromSource)}\`, then \`${enqueueListLine({ url: jobs[0]!.url, filename: jobs[0]!.filename }, files.length, listSize)}\` (the same list aria2c reads), or, in the second mediad row, \`${enqueueLine({ url: jobs[0]!.url, filename: jobs[0]!.filename }, files.length)}\` from 16 concurrent clients; completion seen by polling \`GET /v1/downloads/:id\` of the last job still pending and, once it is done, paging \`GET /v1/downloads?limit=500\`; time = first POST → last finishedAt`,
      `aria2c: \`${shellLine(aria2ListCommand(aria2Flags, '<dir>'))}\``,
    ],
    details: [
      `Files per second per run — mediad with lists: ${list(ourRate, 0)}; mediad with one POST per file: ${list(singleRate, 0)}; aria2c: ${list(peerRate, 0)}; paired ratios: ${list(pairedRatios(ourRate, peerRate))} (lists), ${list(pairedRatios(singleRate, peerRate))} (one POST per file).`,
      `CPU per file (median), one POST per file: mediad ${fixed(perFileMs(median(singly.map((run) => run.cpu.mediad))))} ms (supervisor ${fixed(perFileMs(median(singly.map((run) => run.cpu.supervisor))))}, workers ${fixed(perFileMs(median(singly.map((run) => run.cpu.workers))))}), redis ${fixed(perFileMs(median(singly.map((run) => run.cpu.redis))))} ms.`,
      `CPU per file (median), lists: mediad ${fixed(perFileMs(median(mediad.map((run) => run.cpu.mediad))))} ms (supervisor ${fixed(perFileMs(median(mediad.map((run) => run.cpu.supervisor))))}, workers ${fixed(perFileMs(median(mediad.map((run) => run.cpu.workers))))}), redis ${fixed(perFileMs(median(mediad.map((run) => run.cpu.redis))))} ms, origin ${fixed(perFileMs(median(mediad.map((run) => run.cpu.origin))))} ms; aria2c ${fixed(perFileMs(median(aria2.map((run) => run.cpuSeconds))))} ms, origin ${fixed(perFileMs(median(aria2.map((run) => run.originCpuSeconds))))} ms.`,
      `Redis commands per file (first run; INFO commandstats, commands inside BullMQ's Lua scripts included; hgetall and zrevrangebyscore include the bench polling \`GET /v1/downloads\`): ${mediad[0]?.redisCommands ? describeCommands(mediad[0].redisCommands, files.length) : 'n/a'}.`,
      `Origin side (median): responses in flight on average — mediad ${fixed(median(mediad.map((run) => run.origin.busyConnections)), 2)}, aria2c ${fixed(median(aria2.map((run) => run.origin.busyConnections)), 2)}: with 16 KiB files almost all time is spent between requests, not transferring.`,
      verificationLine([...mediad, ...singly], aria2, files.length),
    ],
    limits: [
      `mediad: machine ${fixed(busy * 100, 0)} % busy of 2 cores while mediad used ${fixed(median(mediad.map((run) => run.cpu.mediad / run.wallSeconds)))} cores (workers ${fixed(median(mediad.map((run) => run.cpu.workers / run.wallSeconds)))}, supervisor ${fixed(median(mediad.map((run) => run.cpu.supervisor / run.wallSeconds)))}), redis ${fixed(median(mediad.map((run) => run.cpu.redis / run.wallSeconds)))}${busy > 0.85 ? ' → CPU-bound' : ' → not CPU-bound: time goes to waiting (fsyncs of data, checkpoint, lock and folders per file; Redis round trips)'}. aria2c: ${fixed(median(aria2.map((run) => run.cpuSeconds / run.wallSeconds)))} cores, machine ${fixed(median(aria2.map((run) => run.machineBusyFraction)) * 100, 0)} % busy.`,
    ],
  };
}

const censusFiles = 100;

/** How many system calls one small file costs a worker: one warmed-up worker under `strace -c -f`. */
export async function syscallsPerSmallFile(context: BenchContext, dir: string): Promise<string[]> {
  if (!straceAvailable()) return ['(strace is not installed: no syscall census)'];
  await mkdir(dir, { recursive: true });
  const daemon = await startDaemon({ workers: 1, jobsPerWorker: 1, connections: 4, fromSource: context.options.fromSource, runDir: path.join(dir, 'census') });
  try {
    await warmUp(context, daemon, 1);
    const census = await startSyscallCensus(daemonProcesses(daemon.pid).workers.map((worker) => worker.pid), dir);
    const jobs = jobsOf(context).slice(0, censusFiles);
    const ids: string[] = [];
    for (const job of jobs) ids.push((await daemon.enqueue({ url: job.url, filename: job.filename })).id);
    const { stuck } = await daemon.waitForJobs(ids, 300_000);
    const counts = await census.stop();
    if (stuck.length > 0) return [`syscall census: ${stuck.length} jobs did not finish under strace`];
    const outDir = path.join(dir, 'aria2c');
    await mkdir(outDir, { recursive: true });
    await writeAria2List(outDir, jobs.map((job) => ({ url: job.url, out: path.basename(job.source.rel) })));
    const peer = await countSyscallsOf(aria2ListCommand(aria2Flags, outDir), outDir);
    await rm(outDir, { recursive: true, force: true });
    const describe = (calls: ReadonlyMap<string, number>) => {
      const per = (count: number) => fixed(count / jobs.length, 1);
      const total = [...calls.values()].reduce((sum, count) => sum + count, 0);
      const syncs = (calls.get('fsync') ?? 0) + (calls.get('fdatasync') ?? 0) + (calls.get('sync_file_range') ?? 0);
      const top = [...calls].sort((a, b) => b[1] - a[1]).slice(0, 14).map(([name, count]) => `${name} ${per(count)}`).join(', ');
      return `${per(total)} in all, ${per(syncs)} of them fsync/fdatasync; most frequent: ${top}`;
    };
    return [
      `System calls per ${formatBytes(context.options.sizes.smallFileBytes)} file, counted with \`strace -c -f\` over the same ${jobs.length} files — mediad's one warmed-up worker process (all threads; the supervisor and Redis not included): ${describe(counts)}. aria2c -j16 (whole process): ${describe(peer)}. Socket write/read are Redis and origin traffic; futex counts thread-pool hand-offs.`,
      '',
    ];
  } finally {
    await daemon.stop();
    await rm(path.join(dir, 'census'), { recursive: true, force: true });
  }
}

export async function profileSmallFiles(context: BenchContext, cpuProfileDir: string): Promise<MediadRun> {
  return measureMediad(context, { label: 'w3-profile', workers, jobsPerWorker, connections: 4, jobs: jobsOf(context), listSize, hashSample: 0, timeoutMs: 600_000, cpuProfileDir, warmUpJobs: warmUpJobsOf(context) });
}
