/** Renders the results table and writes docs/benchmarks.md. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { MachineFacts } from './machine.ts';
import { foreignCoresLimit } from './quiet-machine.ts';
import type { Row } from './report-model.ts';
import type { StoredWorkload } from './results-store.ts';

export function renderTable(rows: readonly Row[]): string {
  const lines = ['| Workload | Tool | Median | Ratio vs peer | Target | Result |', '|---|---|---:|---|---|---|'];
  let previous = '';
  for (const row of rows) {
    lines.push(`| ${row.workload === previous ? '' : row.workload} | ${row.tool} | ${row.median} | ${row.ratio} | ${row.target} | ${row.verdict === 'FAIL' ? '**FAIL**' : row.verdict} |`);
    previous = row.workload;
  }
  return lines.join('\n');
}

export interface ReportInput {
  readonly commandLine: string;
  readonly quick: boolean;
  readonly machine: MachineFacts;
  readonly build: string;
  readonly caches: string;
  readonly ceilings: string;
  readonly datasetNote: string;
  /** The latest stored result of each workload, in order. */
  readonly entries: readonly StoredWorkload[];
  readonly elapsedSeconds: number;
}

export function renderDocument(input: ReportInput): string {
  const { machine, entries } = input;
  const provenance = [...new Set(entries.map((entry) => `${entry.commandLine} (${entry.runs} run${entry.runs === 1 ? '' : 's'} per case, commit ${entry.commit})`))];
  const out: string[] = [
    '# mediad benchmarks',
    '',
    `${input.quick ? '**Quick smoke run, small sizes — not the benchmark figures.** ' : ''}Last updated by \`${input.commandLine}\` on ${machine.date} (that invocation took ${(input.elapsedSeconds / 60).toFixed(1)} min); the results come from ${provenance.join('; ')} — each workload says when it was measured. Medians of the runs are reported; ratios are taken run by run against the peer measured in the same round, then their median. Regenerate with \`npm run bench\` (\`--quick\` for a smoke run, \`--only=1,3\` to refresh some workloads and keep the others, \`--runs=N\`).`,
    '',
    renderTable(entries.flatMap((entry) => entry.report.rows)),
    '',
    '## Machine',
    '',
    `- ${machine.cpus}, ${machine.memory}, ${machine.kernel}`,
    `- Node ${machine.node}; ${machine.aria2c}; ${machine.curl}`,
    `- Work folder on ${machine.filesystem}; no network: origin and clients on 127.0.0.1`,
    ...(machine.memoryReturn.length > 0 ? [`- Memory of this virtual machine goes back to its host: ${machine.memoryReturn.join('; ')}. Pages the kernel then takes again, for the page cache above all, can cost it more to fill, and how much more changes from run to run: workload 2 shows the spread in curl's own kernel time.`] : []),
    `- Disk and hashing ceilings ${input.ceilings}`,
    `- mediad at commit ${machine.commit}; ${input.build}`,
    '',
    '## Method',
    '',
    '- **Origin**: `bench/origin-server.ts`, a separate Node process (its CPU is reported apart): node:http on 127.0.0.1 with keep-alive, files streamed from disk with `fs.createReadStream({start, end})`, single `Range` → 206 with `Content-Range`, 200 without, strong `ETag`, `Last-Modified`, `Accept-Ranges`, `If-Range` honoured. A path under `/rate/<bytes per second>/` is paced per response (token bucket of 128 KiB refilled at the rate, 32 KiB chunks; a stalled reader cannot catch up beyond the burst); other paths are plain pipes.',
    `- **Data**: ${input.datasetNote}`,
    `- **Caches**: ${input.caches}`,
    `- **Shared machine**: other sessions run type checks and test suites on this machine at the same time. Before every measured run the bench waits until the CPU time that none of its own processes explains stays below 0.15 cores for a second (at most 60 s), and repeats a run (up to 3 attempts, keeping the least disturbed) during which other processes used more than ${foreignCoresLimit} cores; each workload says how often that happened.`,
    '- **mediad** runs as a child process with a fresh download folder and state folder (own embedded redis-server) per run, warmed up before timing starts (a daemon is long-lived, so compilation on first use is not what is measured): the daemon first gets two downloads of an 8 MiB file per download slot (workers × MEDIAD_JOBS_PER_WORKER); the small-files workload then also fetches its whole list once under other names (kept until the run ends: on ext4 without a journal a create checks the inodes freed shortly before, a cost deletions just before timing would charge to mediad alone), because the per-file code paths are what it measures, the big-file workload fetches the big file once under another name with the measured number of connections (offsets past 1 GiB leave V8\'s small-integer range, and the engine and undici are recompiled for them on a worker\'s first such download: a second 2 GiB download cost a worker about 0.3 CPU s less than its first in a harness), and the API workload sends a second of POSTs and GETs; then the caches are reset as for the peers (the warm-up\'s creates had read back into memory the inode tables the previous run\'s deletions left, which would make mediad\'s creates alone check those freed inodes) and the bench waits until the daemon\'s processes are idle. Wall time runs from the first `POST /v1/downloads` to the latest `finishedAt` of the jobs (same clock); completion is detected by polling the API lightly (one `GET /v1/downloads/:id` per 100 ms for the last pending job; the list endpoint only once that one is done), so the polling barely loads the daemon and does not affect the measured time. mediad runs with its defaults apart from the variables shown: it fdatasyncs data at every checkpoint (inside its wall time) and does not hash finished files (MEDIAD_HASH_FILES is off; the bench hashes them after the timed part).',
    '- **CPU** of mediad = user+sys of the supervisor and every worker, from `/proc/<pid>/stat` before and after (the supervisor\'s cutime/cstime cover workers that exited); the embedded redis-server is reported separately and not counted. curl and aria2c run under `/usr/bin/time -f "%e %U %S %M"`.',
    '- **Memory**: sampled every 100 ms from `/proc/<pid>/status` of the supervisor and all workers (redis excluded). The target is judged on their physical memory together: the private pages of each (RssAnon + RssShmem) summed, plus the file-backed pages (RssFile: the node binary they all map) counted once. The plain VmRSS sum, which counts that shared binary once per process, is shown beside it.',
    '- **Correctness**: every mediad run checks every file\'s size and the sha256 mediad reports against the source\'s; the bench also hashes a sample itself (the whole big file once per variant). A wrong or missing file fails the row.',
    '',
  ];
  for (const entry of entries) {
    const { report } = entry;
    out.push(`## ${report.title}`, '', `Measured ${entry.measuredAt} by \`${entry.commandLine}\` at commit ${entry.commit}, ${entry.runs} run${entry.runs === 1 ? '' : 's'} per case, ${entry.minutes.toFixed(1)} min. Shared machine: ${entry.interference}`, '');
    out.push(...report.commands.map((line) => `- ${line}`), '', ...report.details.map((line) => `- ${line}`), '');
  }
  out.push('## What limits each figure', '');
  for (const { report } of entries) {
    if (report.limits.length > 0) out.push(`**${report.title}**`, '', ...report.limits.map((line) => `- ${line}`), '');
  }
  const diagnosed = entries.filter((entry) => entry.diagnosis && entry.diagnosis.length > 0);
  if (diagnosed.length > 0) {
    out.push('## Diagnosis of missed targets', '', 'For each workload that missed a target: CPU profiles of one extra mediad run, started as `node --cpu-prof --cpu-prof-dir=… dist/src/main.js` (Node 20 refuses `--cpu-prof` in NODE_OPTIONS; the workers inherit it because they fork with the supervisor\'s execArgv) and cut to the measured interval; percentages are of on-CPU time of the main JS thread (idle excluded; fs work on libuv\'s threads is not in it), **bold** locations are mediad\'s own code, mapped to src/ through the build\'s source maps. Total time of an async function only covers its synchronous stretches. For memory: what each dependency costs a process.', '');
    for (const entry of diagnosed) out.push(`### ${entry.report.title}`, '', ...(entry.diagnosis ?? []), '');
  }
  out.push('## Observations', '');
  const seen = [...new Set(entries.flatMap((entry) => entry.observations))];
  if (seen.length === 0) out.push('- No failed, stuck or wrong downloads and no unclean stops were seen.');
  else out.push(...seen.map((line) => `- ${line.replace(/\n+/g, ' ').slice(0, 1500)}`));
  out.push('');
  return out.join('\n');
}

export async function writeDocument(repoRoot: string, text: string): Promise<string> {
  const file = path.join(repoRoot, 'docs', 'benchmarks.md');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
  return file;
}
