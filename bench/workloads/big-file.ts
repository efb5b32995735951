/**
 * Workload 2: one big file from an uncapped origin; mediad with 1 and 4 connections against curl and aria2c -x4 -s4.
 * The targets are against plain curl, which leaves its bytes in the page cache; curl followed by `sync --data` of
 * its file (durable, as mediad's file is when its job completes) is shown beside it for comparison.
 */
import path from 'node:path';
import { measureMediad, measureTool, type BenchContext, type MediadRun, type ToolRun } from '../measure.ts';
import { enqueueLine, mediadStartLine } from '../mediad-command.ts';
import { formatBytes } from '../options.ts';
import { aria2Common, shellLine } from '../peer-commands.ts';
import { fixed, gib, inRotation, list, mib, times, type Row, type WorkloadReport } from '../report-model.ts';
import { median, pairedRatios } from '../stats.ts';
import { verificationLine } from './capped-cdn.ts';

const workers = 1;
const jobsPerWorker = 1;
const variants = [1, 4] as const;

const curlCommand = (dir: string, url: string) => ['curl', '-s', '-o', path.join(dir, 'big.bin'), url];
const curlSyncCommand = (dir: string, url: string) => ['sh', '-c', 'curl -s -o "$1" "$2" && sync --data "$1"', 'sh', path.join(dir, 'big.bin'), url];
const aria2Command = (dir: string, url: string) => ['aria2c', '-x4', '-s4', ...aria2Common, '-d', dir, '-o', 'big.bin', url];

function mediadRun(context: BenchContext, label: string, connections: number, hashSample: number, cpuProfileDir?: string): Promise<MediadRun> {
  const source = context.dataset.big;
  return measureMediad(context, {
    label, workers, jobsPerWorker, connections: 4, hashSample, timeoutMs: 900_000, pollMs: 50, cpuProfileDir,
    jobs: [{ source, url: context.origin.url(source.rel), filename: 'big/big.bin', connections }],
    // the same download once before timing: the first past 1 GiB recompiles the body path (see the method in report.ts)
    warmUpJobs: [{ source, url: context.origin.url(source.rel), filename: 'warmup-big/big.bin', connections }],
  });
}

export async function runBigFile(context: BenchContext, runs: number): Promise<WorkloadReport> {
  const source = context.dataset.big;
  const url = context.origin.url(source.rel);
  const mediad = new Map<number, MediadRun[]>(variants.map((n) => [n, []]));
  const curl: ToolRun[] = [];
  const curlSync: ToolRun[] = [];
  const aria2: ToolRun[] = [];
  const tool = (label: string, command: (dir: string) => readonly string[]) => measureTool(context, {
    label, command, sources: [source], hashSample: 0, outputs: (dir) => [{ path: path.join(dir, 'big.bin'), source }],
  });
  for (let run = 0; run < runs; run++) {
    await inRotation(run, [
      ...variants.map((connections) => async () => {
        // mediad does not hash by default: the bench hashes its 2 GiB file after every run
        const result = await mediadRun(context, `w2-mediad-${connections}c-${run}`, connections, run === 0 ? 1 : 0);
        mediad.get(connections)!.push(result);
        context.log(`  w2 run ${run + 1}: mediad ${connections} conn ${fixed(result.wallSeconds)} s, ${fixed(result.cpu.mediad)} CPU s`);
      }),
      async () => {
        curl.push(await tool(`w2-curl-${run}`, (dir) => curlCommand(dir, url)));
        context.log(`  w2 run ${run + 1}: curl ${fixed(curl.at(-1)!.wallSeconds)} s, ${fixed(curl.at(-1)!.cpuSeconds)} CPU s`);
      },
      async () => {
        curlSync.push(await tool(`w2-curl-sync-${run}`, (dir) => curlSyncCommand(dir, url)));
        context.log(`  w2 run ${run + 1}: curl + sync ${fixed(curlSync.at(-1)!.wallSeconds)} s, ${fixed(curlSync.at(-1)!.cpuSeconds)} CPU s`);
      },
      async () => {
        aria2.push(await tool(`w2-aria2c-${run}`, (dir) => aria2Command(dir, url)));
        context.log(`  w2 run ${run + 1}: aria2c ${fixed(aria2.at(-1)!.wallSeconds)} s, ${fixed(aria2.at(-1)!.cpuSeconds)} CPU s`);
      },
    ]);
  }
  const size = source.size;
  const speed = (wall: number) => mib(size) / wall;
  const curlSpeed = curl.map((run) => speed(run.wallSeconds));
  const curlCpu = curl.map((run) => run.cpuSeconds / gib(size));
  const curlSyncSpeed = curlSync.map((run) => speed(run.wallSeconds));
  const curlSyncCpu = curlSync.map((run) => run.cpuSeconds / gib(size));
  const aria2Speed = aria2.map((run) => speed(run.wallSeconds));
  const aria2Cpu = aria2.map((run) => run.cpuSeconds / gib(size));
  // user space apart: the kernel's share (socket and page-cache copies, writeback) follows the host from run to run
  const userPerGiB = (toolRuns: readonly ToolRun[]) => fixed(median(toolRuns.map((run) => run.userSeconds / gib(size))));
  const name = `2. one big file, uncapped: ${formatBytes(size)}`;
  const rows: Row[] = [];
  const details: string[] = [];
  const limits: string[] = [];
  let missed = false;
  for (const connections of variants) {
    const runsOf = mediad.get(connections)!;
    const ourSpeed = runsOf.map((run) => speed(run.wallSeconds));
    const ourCpu = runsOf.map((run) => run.cpu.mediad / gib(size));
    const ourUser = fixed(median(runsOf.map((run) => run.cpu.mediadUser / gib(size))));
    const speedRatio = median(pairedRatios(ourSpeed, curlSpeed));
    const cpuRatio = median(pairedRatios(ourCpu, curlCpu));
    const wrong = runsOf.some((run) => run.failures.length > 0);
    missed ||= wrong || !(speedRatio >= 0.9) || !(cpuRatio <= 1.5);
    const label = `mediad ${connections} conn`;
    rows.push(
      { workload: name, tool: `${label}: throughput`, median: `${fixed(median(ourSpeed), 0)} MiB/s`, ratio: `${times(speedRatio)} curl, ${times(median(pairedRatios(ourSpeed, curlSyncSpeed)))} curl + sync, ${times(median(pairedRatios(ourSpeed, aria2Speed)))} aria2c`, target: '≥ 0.9× curl', verdict: wrong ? 'FAIL' : speedRatio >= 0.9 ? 'pass' : 'FAIL' },
      { workload: name, tool: `${label}: CPU per GiB`, median: `${fixed(median(ourCpu))} s/GiB (user ${ourUser})`, ratio: `${times(cpuRatio)} curl, ${times(median(pairedRatios(ourCpu, curlSyncCpu)))} curl + sync`, target: '≤ 1.5× curl', verdict: wrong ? 'FAIL' : cpuRatio <= 1.5 ? 'pass' : 'FAIL' },
    );
    const cores = median(runsOf.map((run) => run.cpu.mediad / run.wallSeconds));
    const busy = median(runsOf.map((run) => run.cpu.machineBusyFraction));
    details.push(`${label}: wall ${list(runsOf.map((run) => run.wallSeconds))} s; origin requests ${list(runsOf.map((run) => run.origin.requests), 0)}; CPU per run ${list(runsOf.map((run) => run.cpu.mediad))} s, of which user space ${list(runsOf.map((run) => run.cpu.mediadUser))} s (supervisor ${list(runsOf.map((run) => run.cpu.supervisor))}, workers ${list(runsOf.map((run) => run.cpu.workers))}; redis ${list(runsOf.map((run) => run.cpu.redis))} excluded); origin ${list(runsOf.map((run) => run.cpu.origin))} s; machine busy ${fixed(busy * 100, 0)} %.`);
    const { syncedWriteMiBps, cachedWriteMiBps } = context.ceilings;
    const diskCaps = syncedWriteMiBps < 0.9 * median(curlSpeed); // durable writes alone keep mediad below the target
    const wall = median(runsOf.map((run) => run.wallSeconds));
    limits.push(`mediad ${connections} conn: ${fixed(median(ourSpeed), 0)} MiB/s (${fixed(wall)} s) using ${fixed(cores)} cores (worker ${fixed(median(runsOf.map((run) => run.cpu.workers / run.wallSeconds)))}, supervisor ${fixed(median(runsOf.map((run) => run.cpu.supervisor / run.wallSeconds)))}), origin ${fixed(median(runsOf.map((run) => run.cpu.origin / run.wallSeconds)))} cores, machine ${fixed(busy * 100, 0)} % busy. mediad fdatasyncs the data at every checkpoint (at least every 8 MiB by default: the crash-safety promise of issue #3); the probe wrote ${fixed(syncedWriteMiBps, 0)} MiB/s with an fdatasync per 8 MiB and ${fixed(cachedWriteMiBps, 0)} MiB/s into the page cache without, and curl leaves its bytes in the page cache and exits, ${diskCaps ? 'so durable writing caps mediad near the first figure on this disk' : `but on this disk synced writes outrun curl itself, so the disk is not the cap: mediad used ${fixed(cores)} cores with the machine ${fixed(busy * 100, 0)} % busy, and what it spends per byte is what is left`}. CPU per GiB is ${fixed(median(runsOf.map((run) => run.cpu.mediad)) / gib(size))} s against curl's ${fixed(median(curlCpu))} s, and ${fixed(median(curlSyncCpu))} s for curl followed by \`sync --data\`.`);
  }
  rows.push(
    { workload: name, tool: 'curl -s -o', median: `${fixed(median(curlSpeed), 0)} MiB/s; ${fixed(median(curlCpu))} s/GiB (user ${userPerGiB(curl)})`, ratio: '—', target: '—', verdict: '—' },
    { workload: name, tool: 'curl -s -o, then sync --data', median: `${fixed(median(curlSyncSpeed), 0)} MiB/s; ${fixed(median(curlSyncCpu))} s/GiB (user ${userPerGiB(curlSync)})`, ratio: `${times(median(pairedRatios(curlSyncSpeed, curlSpeed)))} curl`, target: '—', verdict: '—' },
    { workload: name, tool: 'aria2c -x4 -s4', median: `${fixed(median(aria2Speed), 0)} MiB/s; ${fixed(median(aria2Cpu))} s/GiB (user ${userPerGiB(aria2)})`, ratio: `${times(median(pairedRatios(aria2Speed, curlSpeed)))} curl`, target: '—', verdict: '—' },
  );
  details.push(
    `curl: wall ${list(curl.map((run) => run.wallSeconds))} s; CPU ${list(curl.map((run) => run.cpuSeconds))} s, of which user space ${list(curl.map((run) => run.userSeconds))} s; peak RSS ${fixed(median(curl.map((run) => mib(run.maxRssBytes))), 0)} MiB; origin ${list(curl.map((run) => run.originCpuSeconds))} s.`,
    `curl, then sync --data: wall ${list(curlSync.map((run) => run.wallSeconds))} s; CPU ${list(curlSync.map((run) => run.cpuSeconds))} s, of which user space ${list(curlSync.map((run) => run.userSeconds))} s; origin ${list(curlSync.map((run) => run.originCpuSeconds))} s.`,
    `aria2c: wall ${list(aria2.map((run) => run.wallSeconds))} s; CPU ${list(aria2.map((run) => run.cpuSeconds))} s, of which user space ${list(aria2.map((run) => run.userSeconds))} s; peak RSS ${fixed(median(aria2.map((run) => mib(run.maxRssBytes))), 0)} MiB; origin ${list(aria2.map((run) => run.originCpuSeconds))} s.`,
    verificationLine([...mediad.values()].flat(), [...curl, ...curlSync, ...aria2], 1).replace('plus our own sha256 of a sample of the peer\'s files', 'the peers\' files by size only'),
  );
  limits.push(`curl: ${fixed(median(curlSpeed), 0)} MiB/s with ${fixed(median(curl.map((run) => run.cpuSeconds / run.wallSeconds)))} cores, origin ${fixed(median(curl.map((run) => run.originCpuSeconds / run.wallSeconds)))} cores, machine ${fixed(median(curl.map((run) => run.machineBusyFraction)) * 100, 0)} % busy; curl writes into the page cache and exits without fsync. With \`sync --data\` of its file after it, as durable as mediad's: ${fixed(median(curlSyncSpeed), 0)} MiB/s, ${fixed(median(curlSyncCpu))} CPU s per GiB (curl's and sync's).`);
  const curlKernel = curl.map((run) => (run.cpuSeconds - run.userSeconds) / gib(size));
  limits.push(`CPU in user space and in the kernel: most of every tool's CPU here is the kernel's, copying from the socket and into the page cache (mediad writes all but a connection's first and last partial pages around it, with O_DIRECT: \`MEDIAD_DIRECT_WRITES\`), and for mediad and curl + sync also the writeback their fdatasync starts (plain curl leaves that to the kernel's flusher threads after it exits, which no figure here counts). The same curl command spent ${fixed(Math.min(...curlKernel))} to ${fixed(Math.max(...curlKernel))} kernel CPU s per GiB over its runs of this workload, so a ratio of total CPU moves with the machine from run to run; user space is what each tool's own code costs (the s/GiB figures in the table give it in brackets).`);
  return {
    number: 2, title: name, rows, details, limits, missedTarget: missed,
    commands: [
      `mediad: \`${mediadStartLine(workers, jobsPerWorker, 4, context.options.fromSource)}\`, then \`${enqueueLine({ url, filename: 'big/big.bin', connections: 1 }, 1)}\` (and \`"connections": 4\`); wall time = POST → finishedAt`,
      `curl: \`${shellLine(curlCommand('<dir>', url))}\`; and durable: \`${shellLine(curlSyncCommand('<dir>', url))}\``,
      `aria2c: \`${shellLine(aria2Command('<dir>', url))}\``,
    ],
  };
}

export async function profileBigFile(context: BenchContext, cpuProfileDir: string): Promise<MediadRun> {
  return mediadRun(context, 'w2-profile', 4, 0, cpuProfileDir);
}
