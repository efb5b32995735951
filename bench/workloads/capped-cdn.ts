/** Workload 1: many files from a CDN that caps every connection; mediad (4 workers × 4 connections) against aria2c -j4 -x4 -s4. */
import path from 'node:path';
import { measureMediad, measureTool, type BenchContext, type MediadRun, type ToolRun } from '../measure.ts';
import { enqueueLine, mediadStartLine } from '../mediad-command.ts';
import { formatBytes } from '../options.ts';
import { aria2ListCommand, shellLine, writeAria2List } from '../peer-commands.ts';
import { fixed, gib, inRotation, list, mib, times, type WorkloadReport } from '../report-model.ts';
import { median, pairedRatios } from '../stats.ts';

const workers = 4;
const jobsPerWorker = 1; // 4 downloads at once, as aria2c -j4
const connections = 4;
const aria2Flags = ['-j4', '-x4', '-s4', '-k1M'];

function setup(context: BenchContext) {
  const { sizes } = context.options;
  const files = context.dataset.cdn;
  const url = (rel: string) => context.origin.url(rel, sizes.cdnCapBytesPerSecond);
  const totalBytes = files.reduce((sum, file) => sum + file.size, 0);
  const jobs = files.map((source) => ({ source, url: url(source.rel), filename: `cdn/${path.basename(source.rel)}` }));
  return { sizes, files, url, totalBytes, jobs };
}

export async function runCappedCdn(context: BenchContext, runs: number): Promise<WorkloadReport> {
  const { sizes, files, url, totalBytes, jobs } = setup(context);
  const mediad: MediadRun[] = [];
  const aria2: ToolRun[] = [];
  for (let run = 0; run < runs; run++) {
    await inRotation(run, [
      async () => {
        mediad.push(await measureMediad(context, { label: `w1-mediad-${run}`, workers, jobsPerWorker, connections, jobs, hashSample: 2, timeoutMs: 600_000 }));
        context.log(`  w1 run ${run + 1}: mediad ${fixed(mediad.at(-1)!.wallSeconds)} s`);
      },
      async () => {
        aria2.push(await measureTool(context, {
          label: `w1-aria2c-${run}`, sources: files, hashSample: 2,
          prepare: async (dir) => { await writeAria2List(dir, files.map((file) => ({ url: url(file.rel), out: path.basename(file.rel) }))); },
          command: (dir) => aria2ListCommand(aria2Flags, dir),
          outputs: (dir) => files.map((source) => ({ path: path.join(dir, 'out', path.basename(source.rel)), source })),
        }));
        context.log(`  w1 run ${run + 1}: aria2c ${fixed(aria2.at(-1)!.wallSeconds)} s`);
      },
    ]);
  }
  const mediadWall = mediad.map((run) => run.wallSeconds);
  const aria2Wall = aria2.map((run) => run.wallSeconds);
  const ratio = median(pairedRatios(mediadWall, aria2Wall));
  const wrong = mediad.some((run) => run.failures.length > 0);
  const name = `1. capped CDN: ${files.length} × ${formatBytes(sizes.cdnFileBytes)}, ${formatBytes(sizes.cdnCapBytesPerSecond)}/s per connection`;
  const ideal = totalBytes / (workers * connections * sizes.cdnCapBytesPerSecond);
  const mediadCores = median(mediad.map((run) => run.cpu.mediad / run.wallSeconds));
  return {
    number: 1, title: name, missedTarget: wrong || !(ratio <= 1.0),
    rows: [
      { workload: name, tool: `mediad ${workers} workers × ${connections} conn`, median: `${fixed(median(mediadWall))} s`, ratio: `${times(ratio)} aria2c`, target: '≤ 1.0× aria2c', verdict: wrong ? 'FAIL' : ratio <= 1.0 ? 'pass' : 'FAIL' },
      { workload: name, tool: `aria2c ${aria2Flags.join(' ')}`, median: `${fixed(median(aria2Wall))} s`, ratio: '—', target: '—', verdict: '—' },
    ],
    commands: [
      `mediad: \`${mediadStartLine(workers, jobsPerWorker, connections, context.options.fromSource)}\`, then \`${enqueueLine({ url: url(files[0]!.rel), filename: jobs[0]!.filename }, files.length)}\`; wall time = first POST → last job's finishedAt`,
      `aria2c: \`${shellLine(aria2ListCommand(aria2Flags, '<dir>'))}\` with one \`URL\\n  out=NAME\` entry per file; wall time = process run time`,
    ],
    details: [
      `Wall seconds per run — mediad: ${list(mediadWall)}; aria2c: ${list(aria2Wall)}; paired ratios: ${list(pairedRatios(mediadWall, aria2Wall))}.`,
      `Aggregate throughput (median): mediad ${fixed(mib(totalBytes) / median(mediadWall), 1)} MiB/s, aria2c ${fixed(mib(totalBytes) / median(aria2Wall), 1)} MiB/s; the cap allows at most ${fixed(mib(workers * connections * sizes.cdnCapBytesPerSecond), 0)} MiB/s over ${workers * connections} connections (ideal ${fixed(ideal)} s).`,
      `CPU seconds (median): mediad ${fixed(median(mediad.map((run) => run.cpu.mediad)))} (supervisor ${fixed(median(mediad.map((run) => run.cpu.supervisor)))}, workers ${fixed(median(mediad.map((run) => run.cpu.workers)))}; redis ${fixed(median(mediad.map((run) => run.cpu.redis)))} excluded), aria2c ${fixed(median(aria2.map((run) => run.cpuSeconds)))}.`,
      `Origin side (median): mediad made ${fixed(median(mediad.map((run) => run.origin.requests)), 0)} requests and kept ${fixed(median(mediad.map((run) => run.origin.busyConnections)), 1)} connections busy on average; aria2c ${fixed(median(aria2.map((run) => run.origin.requests)), 0)} requests, ${fixed(median(aria2.map((run) => run.origin.busyConnections)), 1)} connections (of ${workers * connections} allowed).`,
      verificationLine(mediad, aria2, files.length),
    ],
    limits: [cappedLimits({ ideal, mediadWall: median(mediadWall), aria2Wall: median(aria2Wall), mediadCores, originCores: median(mediad.map((run) => run.cpu.origin / run.wallSeconds)), busy: median(mediad.map((run) => run.cpu.machineBusyFraction)),
      mediadBusyConnections: median(mediad.map((run) => run.origin.busyConnections)), aria2BusyConnections: median(aria2.map((run) => run.origin.busyConnections)),
      mediadCpuPerGiB: median(mediad.map((run) => run.cpu.mediad)) / gib(totalBytes), aria2CpuPerGiB: median(aria2.map((run) => run.cpuSeconds)) / gib(totalBytes),
      connections: workers * connections, capBytes: sizes.cdnCapBytesPerSecond, totalBytes })],
  };
}

interface CappedFigures {
  readonly ideal: number;
  readonly mediadWall: number;
  readonly aria2Wall: number;
  readonly mediadCores: number;
  readonly originCores: number;
  readonly busy: number;
  readonly mediadBusyConnections: number;
  readonly aria2BusyConnections: number;
  readonly mediadCpuPerGiB: number;
  readonly aria2CpuPerGiB: number;
  readonly connections: number;
  readonly capBytes: number;
  readonly totalBytes: number;
}

/** Which of "too few connections kept busy" and "too slow to drain them" explains the capped figure. */
function cappedLimits(f: CappedFigures): string {
  const bound = `The origin's cap bounds both tools: ${f.connections} connections × ${formatBytes(f.capBytes)}/s move ${formatBytes(f.totalBytes)} in ${fixed(f.ideal)} s at best; mediad took ${fixed(f.mediadWall / f.ideal)}× that, aria2c ${fixed(f.aria2Wall / f.ideal)}×.`;
  const connections = `Responses in flight at the origin, time-averaged: mediad ${fixed(f.mediadBusyConnections, 1)}, aria2c ${fixed(f.aria2BusyConnections, 1)} of ${f.connections}.`;
  const cpu = `mediad needed ${fixed(f.mediadCpuPerGiB, 1)} CPU s per GiB here (aria2c ${fixed(f.aria2CpuPerGiB, 1)}), ${fixed(f.mediadCores)} cores on average while the paced origin used ${fixed(f.originCores)}; machine ${fixed(f.busy * 100, 0)} % busy.`;
  const cpuBound = f.busy > 0.85 && f.mediadBusyConnections >= f.aria2BusyConnections * 0.9;
  const verdict = f.mediadWall <= f.aria2Wall
    ? `mediad finished first, at ${fixed(f.mediadWall / f.ideal)}× the ideal: the per-connection cap is what limits it.`
    : cpuBound
    ? `mediad kept ${f.mediadBusyConnections >= f.aria2BusyConnections ? 'as many' : 'nearly as many'} responses in flight as aria2c but drained them more slowly: the paced origin delivers ~32 KiB at a time, mediad pays its per-chunk cost (gathering chunks into write blocks, progress and checkpoint bookkeeping, GC) on every one, and the two cores run out — CPU-bound.`
    : f.mediadBusyConnections < f.aria2BusyConnections * 0.9
      ? 'mediad kept fewer connections busy than aria2c: time between files (finish: fsyncs, rename; next job\'s probe) and segments ending at different times (mediad splits a segment only while 2 × MEDIAD_MIN_SEGMENT_BYTES, 2 MiB by default, are left; aria2c splits to 1 MiB with -k1M) leave capped connections idle.'
      : 'Neither connection count nor CPU explains the gap alone; see the profile.';
  return `${bound} ${connections} ${cpu} ${verdict}`;
}

export function verificationLine(mediad: readonly { failures: readonly string[] }[], peer: readonly { failures: readonly string[] }[], files: number): string {
  const bad = mediad.flatMap((run) => run.failures);
  const peerBad = peer.flatMap((run) => run.failures);
  return `Correctness: every run checked ${files} file sizes and, after the timed part, the sha256 of every file mediad wrote (mediad hashes only with MEDIAD_HASH_FILES=true), plus our own sha256 of a sample of the peer's files — mediad: ${bad.length === 0 ? 'all correct' : `**${bad.length} problems**: ${bad.slice(0, 3).join('; ')}`}; peer: ${peerBad.length === 0 ? 'all correct' : `${peerBad.length} problems: ${peerBad.slice(0, 3).join('; ')}`}.`;
}

/** One profiled mediad run (CPU profiles land in `cpuProfileDir`). */
export async function profileCappedCdn(context: BenchContext, cpuProfileDir: string): Promise<MediadRun> {
  return measureMediad(context, { label: 'w1-profile', workers, jobsPerWorker, connections, jobs: setup(context).jobs, hashSample: 0, timeoutMs: 600_000, cpuProfileDir });
}
