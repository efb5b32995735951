/**
 * `npm run bench`: builds mediad, prepares the data and the origin, runs the
 * selected workloads against curl/aria2c, profiles the ones that miss their
 * target, prints one markdown table and writes docs/benchmarks.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { summarizeProfiles, renderProfiles } from './cpu-profile.ts';
import { buildPrivateCopy } from './build.ts';
import { privateBuildRoot, repoRoot } from './daemon.ts';
import { datasetSeed, prepareDataset } from './dataset.ts';
import { machineFacts } from './machine.ts';
import type { BenchContext, ProfileWindow } from './measure.ts';
import { observations, observe } from './observations.ts';
import { formatBytes, parseOptions, UsageError, type WorkloadNumber } from './options.ts';
import { startOrigin } from './origin-process.ts';
import { cacheDropResult, dropCaches } from './page-cache.ts';
import { renderDocument, renderTable, writeDocument } from './report.ts';
import type { WorkloadReport } from './report-model.ts';
import { loadResults, saveResults, type StoredWorkload } from './results-store.ts';
import { measureCeilings, type Ceilings } from './machine-probes.ts';
import { foreignCoresLimit, interferenceSummary, waitForQuietMachine } from './quiet-machine.ts';
import { timeAvailable } from './timed-command.ts';
import { profileApi, runApi } from './workloads/api.ts';
import { profileBigFile, runBigFile } from './workloads/big-file.ts';
import { profileCappedCdn, runCappedCdn } from './workloads/capped-cdn.ts';
import { moduleCosts, runMemory } from './workloads/memory.ts';
import { profileSmallFiles, runSmallFiles, syscallsPerSmallFile } from './workloads/small-files.ts';

type Runner = (context: BenchContext, runs: number) => Promise<WorkloadReport>;
type Profiler = (context: BenchContext, cpuProfileDir: string) => Promise<{ readonly daemonPid: number; readonly window: ProfileWindow }>;
/** Explains a missed target: a CPU profile of one more run, or (memory) what each module costs a process. */
type Diagnosis = (context: BenchContext, dir: string) => Promise<readonly string[]>;

function cpuProfileOf(profile: Profiler): Diagnosis {
  return async (context, dir) => {
    const run = await profile(context, dir);
    const summary = renderProfiles(summarizeProfiles(dir, run.daemonPid, run.window));
    return summary.length > 0 ? [`One extra mediad run under \`node --cpu-prof\`; profiles in \`${dir}\`.`, '', ...summary] : ['No profile was written (did the processes exit cleanly?).'];
  };
}

const workloads: Record<WorkloadNumber, { readonly title: string; readonly run: Runner; readonly diagnose: Diagnosis }> = {
  1: { title: '1. capped CDN', run: runCappedCdn, diagnose: cpuProfileOf(profileCappedCdn) },
  2: { title: '2. one big file, uncapped', run: runBigFile, diagnose: cpuProfileOf(profileBigFile) },
  3: { title: '3. many small files', run: runSmallFiles, diagnose: async (context, dir) => [...await syscallsPerSmallFile(context, path.join(dir, 'strace')), ...await cpuProfileOf(profileSmallFiles)(context, dir)] },
  4: { title: '4. memory', run: runMemory, diagnose: moduleCosts },
  5: { title: '5. API', run: runApi, diagnose: cpuProfileOf(profileApi) },
};

const log = (line: string) => process.stdout.write(`${line}\n`);

async function build(fromSource: boolean): Promise<string> {
  if (fromSource) return 'daemon run from src/ through tsx (`--source`)';
  log(`compiling mediad into ${privateBuildRoot} (tsc -p tsconfig.build.json --outDir …)…`);
  const { typeErrors } = await buildPrivateCopy();
  if (typeErrors.length > 0) {
    observe(`tsc reported type errors in src/ (the emitted JavaScript is what ran): ${typeErrors.slice(0, 5).join(' | ')}`);
    return `compiled by the bench at the start of the run into a private folder (\`tsc -p tsconfig.build.json --outDir ${privateBuildRoot}/dist\`; it reported type errors, see Observations) and run as \`node ${privateBuildRoot}/dist/src/main.js\``;
  }
  return `compiled by the bench at the start of the run into a private folder (\`tsc -p tsconfig.build.json --outDir ${privateBuildRoot}/dist\`, so a concurrent \`npm run build\` cannot change the code mid-run) and run as \`node ${privateBuildRoot}/dist/src/main.js\` (no tsx)`;
}

function missingTools(): string[] {
  const missing: string[] = [];
  for (const tool of ['aria2c', 'curl', 'redis-server']) if (spawnSync('which', [tool]).status !== 0) missing.push(tool);
  if (!timeAvailable()) missing.push('/usr/bin/time (apt-get install time)');
  return missing;
}

function ceilingsLine(ceilings: Ceilings): string {
  return `probed at the start: sequential writes of 8 MiB chunks reach ${ceilings.syncedWriteMiBps.toFixed(0)} MiB/s with an fdatasync after each chunk (mediad's checkpoint interval) and ${ceilings.cachedWriteMiBps.toFixed(0)} MiB/s into the page cache without sync (512 MiB each); sha256 runs at ${ceilings.sha256MiBps.toFixed(0)} MiB/s on one core in Node`;
}

type Interference = ReturnType<typeof interferenceSummary>;

function interferenceLine(now: Interference, before: Interference): string {
  const repeated = now.repeated - before.repeated;
  const waited = now.waitedSeconds - before.waitedSeconds;
  const unquiet = now.unquiet - before.unquiet;
  const disturbed = now.disturbed - before.disturbed;
  return `${waited.toFixed(0)} s spent waiting for a quiet machine${unquiet > 0 ? ` (${unquiet} times it gave up after 60 s and measured anyway)` : ''}; ${repeated} run${repeated === 1 ? ' was' : 's were'} repeated because other processes used more than ${foreignCoresLimit} cores during ${repeated === 1 ? 'it' : 'them'}${disturbed > 0 ? `; ${disturbed} measurement${disturbed === 1 ? '' : 's'} stayed disturbed after 3 attempts (the least disturbed attempt is used; it may be pessimistic)` : ''}.`;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const started = performance.now();
  const missing = missingTools();
  if (missing.length > 0) throw new Error(`missing tools: ${missing.join(', ')}`);
  const buildNote = await build(options.fromSource);
  const machine = machineFacts(options.workDir); // the commit the build saw
  await mkdir(options.workDir, { recursive: true });
  const dataset = await prepareDataset(options.dataDir, options.sizes, log);
  const drop = await dropCaches();
  await waitForQuietMachine(log);
  const ceilings = await measureCeilings(options.workDir);
  log(`disk: ${ceilings.syncedWriteMiBps.toFixed(0)} MiB/s with fdatasync every 8 MiB, ${ceilings.cachedWriteMiBps.toFixed(0)} MiB/s into the page cache; sha256 ${ceilings.sha256MiBps.toFixed(0)} MiB/s on one core`);
  const origin = await startOrigin(options.dataDir);
  const context: BenchContext = { options, dataset, origin, ceilings, log };
  const commandLine = ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
  const outDir = path.join(repoRoot, 'bench', 'out');
  const results = await loadResults(outDir, options.quick);
  const startObservations = observations().length;
  try {
    for (const number of [1, 2, 3, 4, 5] as const) {
      if (!options.only.has(number)) continue;
      const workload = workloads[number];
      log(`\n${workload.title} (${options.runs} run${options.runs === 1 ? '' : 's'})`);
      const workloadStarted = performance.now();
      const seenBefore = observations().length;
      const interferenceBefore = interferenceSummary();
      let report: WorkloadReport;
      try {
        report = await workload.run(context, options.runs);
      } catch (error) {
        observe(`${workload.title} could not be measured: ${(error as Error).stack ?? String(error)}`);
        report = {
          number, title: workload.title, commands: [], details: [], limits: [], missedTarget: false,
          rows: [{ workload: workload.title, tool: 'mediad', median: 'error (see Observations)', ratio: '—', target: '—', verdict: 'FAIL' }],
        };
      }
      log(`  took ${((performance.now() - workloadStarted) / 1000).toFixed(0)} s`);
      const interference = interferenceLine(interferenceSummary(), interferenceBefore);
      let diagnosis: readonly string[] | undefined;
      if (options.profile === 'all' || (options.profile === 'auto' && report.missedTarget)) {
        log(`  diagnosing ${workload.title}…`);
        const profileDir = path.join(options.workDir, 'profiles', `w${number}`);
        await rm(profileDir, { recursive: true, force: true });
        try {
          diagnosis = await workload.diagnose(context, profileDir);
        } catch (error) {
          observe(`diagnosing ${workload.title} failed: ${(error as Error).message}`);
        }
      }
      results[String(number)] = {
        report, diagnosis, interference, commandLine, commit: machine.commit, runs: options.runs,
        observations: [...observations().slice(0, startObservations), ...observations().slice(seenBefore)],
        measuredAt: new Date().toISOString().replace(/\.[0-9]+Z$/, 'Z'), minutes: (performance.now() - workloadStarted) / 60_000,
      };
      await saveResults(outDir, options.quick, results);
    }
  } finally {
    await origin.stop();
  }
  const entries = [1, 2, 3, 4, 5].map((number) => results[String(number)]).filter((entry): entry is StoredWorkload => entry !== undefined);
  const table = renderTable(entries.flatMap((entry) => entry.report.rows));
  log(`\n${table}\n`);
  const elapsedSeconds = (performance.now() - started) / 1000;
  const document = renderDocument({
    commandLine, quick: options.quick, machine, build: buildNote, ceilings: ceilingsLine(ceilings),
    caches: drop === 'dropped'
      ? 'before every measured run: `sync; echo 3 > /proc/sys/vm/drop_caches` (it works in this container: the bench runs as root and the write succeeds), then the origin\'s source files are read once with `cat` so the origin serves from memory; downloaded files are deleted after each run, so every run writes to a cold destination.'
      : `\`echo 3 > /proc/sys/vm/drop_caches\` was ${cacheDropResult() ?? 'not tried'} here; before every run the bench ran \`sync\` and read the source files once, and downloaded files are deleted after each run.`,
    datasetNote: `generated once into \`${options.dataDir}\` (AES-256-CTR keystream keyed by seed \`${datasetSeed}\` and path, so reproducible and incompressible) and reused; sizes ${options.quick ? 'of --quick' : 'of the full run'}: capped CDN ${options.sizes.cdnFiles} × ${formatBytes(options.sizes.cdnFileBytes)}, big file ${formatBytes(options.sizes.bigFileBytes)}, small files ${options.sizes.smallFiles} × ${formatBytes(options.sizes.smallFileBytes)}, memory ${options.sizes.memoryFileBytes.map(formatBytes).join(' and ')}.`,
    entries, elapsedSeconds,
  });
  const file = await writeDocument(repoRoot, document);
  log(`wrote ${path.relative(repoRoot, file)} (${(elapsedSeconds / 60).toFixed(1)} min)`);
}

main().then(() => process.exit(0), (error: unknown) => {
  process.stderr.write(`${error instanceof UsageError ? error.message : (error as Error).stack ?? String(error)}\n`);
  process.exit(error instanceof UsageError ? 2 : 1);
});
