/** Workload 4: peak resident memory of all mediad processes (redis excluded) while 4 uncapped downloads run, at two file sizes. */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../daemon.ts';
import type { DataFile } from '../dataset.ts';
import { measureMediad, type BenchContext, type MediadRun } from '../measure.ts';
import { enqueueLine, mediadStartLine } from '../mediad-command.ts';
import { formatBytes } from '../options.ts';
import { fixed, list, mib, type Row, type WorkloadReport } from '../report-model.ts';
import { median } from '../stats.ts';
import { verificationLine } from './capped-cdn.ts';

const execFileAsync = promisify(execFile);
const workers = 2; // the defaults: 2 worker processes × 2 downloads each
const jobsPerWorker = 2;
const connections = 4;
const budgetMiB = 250;
const flatRatio = 1.1;

function jobsFor(context: BenchContext, source: DataFile) {
  const url = context.origin.url(source.rel);
  return Array.from({ length: context.options.sizes.memoryDownloads }, (_, i) => ({ source, url, filename: `memory/copy-${i}.bin` }));
}

export async function runMemory(context: BenchContext, runs: number): Promise<WorkloadReport> {
  const { sizes } = context.options;
  const bySize = new Map<DataFile, MediadRun[]>();
  const largest = context.dataset.memory.at(-1)!;
  for (let run = 0; run < runs; run++) {
    for (const source of context.dataset.memory) {
      if (source === largest && run >= Math.max(1, Math.min(runs, sizes.memoryLargestRuns))) continue;
      const result = await measureMediad(context, {
        label: `w4-mediad-${formatBytes(source.size).replace(' ', '')}-${run}`, workers, jobsPerWorker, connections, jobs: jobsFor(context, source),
        sampleMemory: true, hashSample: 0, timeoutMs: 1_800_000, pollMs: 200, cpuSensitive: false,
      });
      bySize.set(source, [...(bySize.get(source) ?? []), result]);
      context.log(`  w4 run ${run + 1}: ${sizes.memoryDownloads} × ${formatBytes(source.size)} peak ${fixed(mib(result.memory!.mediadBytes), 0)} MiB in ${fixed(result.wallSeconds)} s`);
    }
  }
  const name = `4. memory: ${sizes.memoryDownloads} concurrent uncapped downloads`;
  const rows: Row[] = [];
  const details: string[] = [];
  const peaks = new Map<DataFile, number>();
  let missed = false;
  for (const [source, runsOf] of bySize) {
    const peak = median(runsOf.map((run) => mib(run.memory!.uniqueBytes)));
    const rssSum = median(runsOf.map((run) => mib(run.memory!.mediadBytes)));
    peaks.set(source, peak);
    const wrong = runsOf.some((run) => run.failures.length > 0);
    missed ||= wrong || !(peak <= budgetMiB);
    rows.push({ workload: name, tool: `mediad, ${sizes.memoryDownloads} × ${formatBytes(source.size)}`, median: `${fixed(peak, 0)} MiB peak (VmRSS sum ${fixed(rssSum, 0)})`, ratio: '—', target: `≤ ${budgetMiB} MiB`, verdict: wrong ? 'FAIL' : peak <= budgetMiB ? 'pass' : 'FAIL' });
    const m = (pick: (run: MediadRun) => number) => fixed(median(runsOf.map(pick)), 0);
    details.push(`${sizes.memoryDownloads} × ${formatBytes(source.size)} (${runsOf.length} runs): peak physical memory ${list(runsOf.map((run) => mib(run.memory!.uniqueBytes)), 0)} MiB; peak VmRSS sum ${list(runsOf.map((run) => mib(run.memory!.mediadBytes)), 0)} MiB; idle before the first POST ${m((run) => mib(run.memory!.idleBytes))} MiB; median peaks — supervisor ${m((run) => mib(run.memory!.supervisorBytes))} MiB, largest worker ${m((run) => mib(run.memory!.workerBytes))} MiB, redis ${m((run) => mib(run.memory!.redisBytes))} MiB (excluded); ${m((run) => run.memory!.samples)} samples at 100 ms; wall ${list(runsOf.map((run) => run.wallSeconds))} s (${fixed(median(runsOf.map((run) => (sizes.memoryDownloads * mib(source.size)) / run.wallSeconds)), 0)} MiB/s together).`);
  }
  const small = peaks.get(context.dataset.memory[0]!) ?? Number.NaN;
  const large = peaks.get(largest) ?? Number.NaN;
  const growth = large / small;
  missed ||= !(growth <= flatRatio);
  rows.push({ workload: name, tool: `growth ${formatBytes(context.dataset.memory[0]!.size)} → ${formatBytes(largest.size)}`, median: `${fixed(large - small, 0)} MiB`, ratio: `${fixed(growth)}×`, target: `flat: ≤ ${flatRatio}×`, verdict: growth <= flatRatio ? 'pass' : 'FAIL' });
  details.push('These runs do not wait for a quiet machine or repeat when other processes were busy: resident memory does not depend on CPU contention (the wall times above may).');
  details.push(verificationLine([...bySize.values()].flat(), [], sizes.memoryDownloads).replace(', plus our own sha256 of a sample of the peer\'s files', ''));
  if (sizes.memoryLargestRuns < runs) details.push(`The ${formatBytes(largest.size)} case ran ${Math.min(runs, sizes.memoryLargestRuns)} times instead of ${runs}: each run writes ${formatBytes(largest.size * sizes.memoryDownloads)} with fdatasync, the longest step of the benchmark.`);
  const all = [...bySize.values()].flat();
  const idle = median(all.map((run) => mib(run.memory!.idleBytes)));
  const peakAll = median(all.map((run) => mib(run.memory!.mediadBytes)));
  const uniqueAll = median(all.map((run) => mib(run.memory!.uniqueBytes)));
  return {
    number: 4, title: name, rows, details, missedTarget: missed,
    commands: [
      `mediad: \`${mediadStartLine(workers, jobsPerWorker, connections, context.options.fromSource)}\`, then \`${enqueueLine({ url: context.origin.url(largest.rel), filename: 'memory/copy-0.bin' }, sizes.memoryDownloads)}\` (same source, ${sizes.memoryDownloads} names), uncapped; every 100 ms: RssAnon + RssShmem of the supervisor and every worker summed, plus the largest RssFile once (the target's figure), and VmRSS summed`,
    ],
    limits: [
      `Before the first POST the ${workers + 1} idle Node processes (supervisor + ${workers} workers) hold ${fixed(idle, 0)} MiB by VmRSS sum (medians over the ${all.length} runs of both sizes here); during the downloads that sum peaks at ${fixed(peakAll, 0)} MiB, so the ${sizes.memoryDownloads} transfers add about ${fixed((peakAll - idle) / sizes.memoryDownloads, 0)} MiB each. The VmRSS sum counts the node binary's ~40 MiB of mapped code once per process although the kernel holds it once: physical memory of the processes together peaks at ${fixed(uniqueAll, 0)} MiB. Growth from ${formatBytes(context.dataset.memory[0]!.size)} to ${formatBytes(largest.size)} files is ${fixed(large - small, 0)} MiB: ${growth <= flatRatio ? 'flat, the engine streams and holds no file in memory' : 'NOT flat'}. What is left is per-process baseline: each worker loads bullmq, ioredis, undici and pino (see below), the supervisor fastify, ajv and bullmq.`,
    ],
  };
}

/** Resident memory of a bare Node process that imports one package: what each dependency costs every process that loads it. */
export async function moduleCosts(): Promise<string[]> {
  const packages = ['bullmq', 'ioredis', 'undici', 'pino', 'fastify', '@fastify/swagger', 'youtubei.js', '@distube/ytdl-core'];
  const rssMiB = async (specifier: string | undefined) => {
    const script = [
      specifier ? `await import(${JSON.stringify(specifier)});` : '',
      'await new Promise((resolve) => setTimeout(resolve, 300));',
      "const status = (await import('node:fs')).readFileSync('/proc/self/status', 'utf8');",
      'process.stdout.write(/VmRSS:\\s+([0-9]+)/.exec(status)[1]);',
    ].join(' ');
    const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot });
    return Number(stdout) / 1024;
  };
  const bare = await rssMiB(undefined);
  const costs: string[] = [];
  for (const name of packages) costs.push(`${name} +${fixed((await rssMiB(name)) - bare, 0)} MiB`);
  const sources = (await readdir(path.join(repoRoot, 'src'), { recursive: true })).filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'));
  const importers: string[] = [];
  for (const file of sources) {
    if (/^import [^;]*from '(youtubei\.js|@distube\/ytdl-core)'/m.test(await readFile(path.join(repoRoot, 'src', file), 'utf8'))) importers.push(`src/${file}`);
  }
  return [
    `Resident memory of a bare \`node\` (${process.version}) is ${fixed(bare, 0)} MiB; importing one package on top of it adds: ${costs.join(', ')}.`,
    '',
    `Every worker pays at start for everything its entry imports, whether or not a job needs it. Modules under src/ that import the YouTube libraries statically (type-only imports included): ${importers.length > 0 ? importers.map((file) => `\`${file}\``).join(', ') : 'none'}.`,
  ];
}
