/**
 * Workload 5: the API under 50 concurrent keep-alive clients. Phase 1 enqueues
 * (POST /v1/downloads) jobs whose URL the origin answers at once; phase 2 reads
 * job status (GET /v1/downloads/:id) of those jobs. One worker, so workers barely matter.
 */
import { rm } from 'node:fs/promises';
import { Pool } from 'undici';
import { commandsBetween, describeCommands, startDaemon } from '../daemon.ts';
import { runLoad, type LoadResult } from '../http-load.ts';
import { freshDir, keepLog, monotonicUs, waitUntilQuiet, warmUp, type BenchContext, type ProfileWindow } from '../measure.ts';
import { mediadStartLine } from '../mediad-command.ts';
import { observe } from '../observations.ts';
import { resetCaches } from '../page-cache.ts';
import { onQuietMachine, waitForQuietMachine } from '../quiet-machine.ts';
import { cpuBetween, cpuSnapshot, type CpuUse } from '../proc-stats.ts';
import { fixed, list, type WorkloadReport } from '../report-model.ts';
import { median } from '../stats.ts';

const workers = 1;
const enqueueTarget = 2000;
const p99TargetMs = 20;

interface ApiRun {
  readonly enqueue: LoadResult;
  readonly status: LoadResult;
  readonly enqueueCpu: CpuUse;
  readonly statusCpu: CpuUse;
  readonly daemonPid: number;
  readonly window: ProfileWindow;
  readonly enqueueRedis: ReadonlyMap<string, number>;
  readonly statusRedis: ReadonlyMap<string, number>;
  readonly wrong: boolean;
}

function measureApi(context: BenchContext, label: string, cpuProfileDir?: string): Promise<ApiRun> {
  if (cpuProfileDir) return waitForQuietMachine(context.log).then(() => measureApiOnce(context, label, cpuProfileDir));
  return onQuietMachine(label, context.log, () => measureApiOnce(context, label, cpuProfileDir), (run) => {
    // the load generator runs in this process and is counted in `bench`; whatever else was busy is foreign
    const foreign = run.enqueueCpu.unexplained + run.statusCpu.unexplained;
    return foreign / (run.enqueueCpu.wallSeconds + run.statusCpu.wallSeconds);
  });
}

async function measureApiOnce(context: BenchContext, label: string, cpuProfileDir?: string): Promise<ApiRun> {
  const { sizes } = context.options;
  const dir = await freshDir(context, label);
  await resetCaches(context.dataset.dir, [context.dataset.instant.rel, context.dataset.warmup.rel]);
  const daemon = await startDaemon({ workers, jobsPerWorker: 1, connections: 4, fromSource: context.options.fromSource, runDir: dir, cpuProfileDir });
  try {
    await warmUp(context, daemon, workers);
    const url = context.origin.url(context.dataset.instant.rel);
    // the supervisor is long-lived too: a second of both request kinds compiles the route schemas and warms V8
    const warmIds: string[] = [];
    await runLoad({
      baseUrl: daemon.baseUrl, clients: sizes.apiClients, maxRequests: 2000, durationMs: 1000,
      request: (index) => ({ method: 'POST', path: '/v1/downloads', body: JSON.stringify({ url, filename: `warm/${index}.bin` }) }),
      onAnswer: (_index, status, body) => { if (status === 201) warmIds.push((JSON.parse(body) as { id: string }).id); },
    });
    await runLoad({
      baseUrl: daemon.baseUrl, clients: sizes.apiClients, maxRequests: 2000, durationMs: 1000,
      request: (index) => ({ method: 'GET', path: `/v1/downloads/${warmIds[index % Math.max(1, warmIds.length)] ?? 'none'}` }),
    });
    await waitUntilQuiet(daemon.pid, context.origin.pid);
    const ids: string[] = [];
    const redisAtStart = await daemon.redisCommands();
    const startUs = monotonicUs();
    const before = cpuSnapshot(daemon.pid, context.origin.pid);
    const enqueue = await runLoad({
      baseUrl: daemon.baseUrl, clients: sizes.apiClients, maxRequests: sizes.apiMaxRequests, durationMs: sizes.apiPhaseMs,
      request: (index) => ({ method: 'POST', path: '/v1/downloads', body: JSON.stringify({ url, filename: `api/${index}.bin` }) }),
      onAnswer: (_index, status, body) => { if (status === 201) ids.push((JSON.parse(body) as { id: string }).id); },
    });
    const middle = cpuSnapshot(daemon.pid, context.origin.pid);
    const redisAtMiddle = await daemon.redisCommands();
    if (ids.length === 0) throw new Error(`no job was enqueued: ${enqueue.firstError}`);
    const status = await runLoad({
      baseUrl: daemon.baseUrl, clients: sizes.apiClients, maxRequests: sizes.apiMaxRequests, durationMs: sizes.apiPhaseMs,
      request: (index) => ({ method: 'GET', path: `/v1/downloads/${ids[(index * 7919) % ids.length]}` }),
    });
    const after = cpuSnapshot(daemon.pid, context.origin.pid);
    const window = { startUs, endUs: monotonicUs() };
    const redisAtEnd = await daemon.redisCommands();
    let wrong = false;
    for (const [phase, result] of [['enqueue', enqueue], ['status', status]] as const) {
      if (result.errors > 0) {
        wrong = true;
        observe(`${label}: ${result.errors} of ${result.requests} ${phase} requests failed; first: ${result.firstError}`);
      }
    }
    const failed = await failedJobs(daemon.baseUrl);
    if (failed) {
      wrong = true;
      observe(`${label}: jobs for the instant URL failed, e.g. ${failed}`);
    }
    return { enqueue, status, enqueueCpu: cpuBetween(before, middle), statusCpu: cpuBetween(middle, after), daemonPid: daemon.pid, window, wrong,
      enqueueRedis: commandsBetween(redisAtStart, redisAtMiddle), statusRedis: commandsBetween(redisAtMiddle, redisAtEnd) };
  } finally {
    await daemon.stop();
    await keepLog(context, daemon.logFile, label);
    await rm(dir, { recursive: true, force: true });
  }
}

async function failedJobs(baseUrl: string): Promise<string | undefined> {
  const pool = new Pool(baseUrl);
  try {
    const response = await pool.request({ method: 'GET', path: '/v1/downloads?state=failed&limit=1', headersTimeout: 120_000, bodyTimeout: 120_000 });
    const page = (await response.body.json()) as { jobs?: { id: string; error: { code: string; message: string } | null }[] };
    const job = page.jobs?.[0];
    return job ? `${job.id}: ${job.error?.code} ${job.error?.message}` : undefined;
  } finally {
    await pool.close();
  }
}

export async function runApi(context: BenchContext, runs: number): Promise<WorkloadReport> {
  const { sizes } = context.options;
  const results: ApiRun[] = [];
  for (let run = 0; run < runs; run++) {
    const result = await measureApi(context, `w5-mediad-${run}`);
    results.push(result);
    context.log(`  w5 run ${run + 1}: ${fixed(result.enqueue.requestsPerSecond, 0)} enqueues/s (p99 ${fixed(result.enqueue.latencyMs.p99, 1)} ms), GET p99 ${fixed(result.status.latencyMs.p99, 1)} ms at ${fixed(result.status.requestsPerSecond, 0)}/s`);
  }
  const rate = median(results.map((run) => run.enqueue.requestsPerSecond));
  const p99 = median(results.map((run) => run.status.latencyMs.p99));
  const wrong = results.some((run) => run.wrong);
  const name = `5. API, ${sizes.apiClients} concurrent clients, ${workers} worker`;
  const share = (pick: (use: CpuUse) => number, phase: 'enqueueCpu' | 'statusCpu') => fixed(median(results.map((run) => pick(run[phase]) / run[phase].wallSeconds)));
  const phaseLine = (phase: 'enqueueCpu' | 'statusCpu') => `supervisor ${share((use) => use.supervisor, phase)}, worker ${share((use) => use.workers, phase)}, redis ${share((use) => use.redis, phase)}, origin ${share((use) => use.origin, phase)}, load generator ${share((use) => use.bench, phase)}, other processes ${share((use) => use.unexplained, phase)} cores; machine ${fixed(median(results.map((run) => run[phase].machineBusyFraction)) * 100, 0)} % busy`;
  return {
    number: 5, title: name, missedTarget: wrong || !(rate >= enqueueTarget) || !(p99 <= p99TargetMs),
    rows: [
      { workload: name, tool: 'mediad POST /v1/downloads', median: `${fixed(rate, 0)} enqueues/s`, ratio: '—', target: `≥ ${enqueueTarget}/s`, verdict: !wrong && rate >= enqueueTarget ? 'pass' : 'FAIL' },
      { workload: name, tool: 'mediad GET /v1/downloads/:id', median: `p99 ${fixed(p99, 1)} ms`, ratio: '—', target: `p99 ≤ ${p99TargetMs} ms`, verdict: !wrong && p99 <= p99TargetMs ? 'pass' : 'FAIL' },
    ],
    commands: [
      `mediad: \`${mediadStartLine(workers, 1, 4, context.options.fromSource)}\``,
      `phase 1: ${sizes.apiClients} keep-alive clients (undici Pool, closed loop) send \`POST /v1/downloads {"url":"${context.origin.url(context.dataset.instant.rel)}","filename":"api/N.bin"}\` for ${sizes.apiPhaseMs / 1000} s or ${sizes.apiMaxRequests} requests; phase 2: the same clients send \`GET /v1/downloads/:id\` over the ids of phase 1, same limits`,
    ],
    details: [
      `Enqueue per run: ${list(results.map((run) => run.enqueue.requestsPerSecond), 0)} /s over ${list(results.map((run) => run.enqueue.requests), 0)} requests; latency p50 ${list(results.map((run) => run.enqueue.latencyMs.p50), 1)} ms, p99 ${list(results.map((run) => run.enqueue.latencyMs.p99), 1)} ms.`,
      `Status per run: ${list(results.map((run) => run.status.requestsPerSecond), 0)} /s; latency p50 ${list(results.map((run) => run.status.latencyMs.p50), 1)} ms, p90 ${list(results.map((run) => run.status.latencyMs.p90), 1)} ms, p99 ${list(results.map((run) => run.status.latencyMs.p99), 1)} ms, max ${list(results.map((run) => run.status.latencyMs.max), 1)} ms.`,
      `Redis commands per request (first run, INFO commandstats; the one worker runs the queued jobs meanwhile, so its commands are included): enqueue phase ${describeCommands(results[0]!.enqueueRedis, results[0]!.enqueue.requests)}; status phase ${describeCommands(results[0]!.statusRedis, results[0]!.status.requests)}.`,
      `Errors: ${results.reduce((sum, run) => sum + run.enqueue.errors + run.status.errors, 0)} failed requests in all runs.`,
    ],
    limits: [
      `Enqueue phase: ${phaseLine('enqueueCpu')}. The supervisor spent ${perRequestMs(results, 'enqueueCpu', 'enqueue')} ms of CPU per POST, and each enqueue costs about ${fixed(commandsPer(results[0]!.enqueueRedis, results[0]!.enqueue.requests), 0)} Redis commands (with the worker's share; see above).`,
      `Status phase: ${phaseLine('statusCpu')}. The supervisor spent ${perRequestMs(results, 'statusCpu', 'status')} ms of CPU per GET. In a closed loop of ${sizes.apiClients} clients, latency ≈ ${sizes.apiClients} / throughput plus queueing: with the one worker still draining the queued jobs next to the supervisor, the load generator and Redis, the 2 cores are the limit (machine ${fixed(median(results.map((run) => run.statusCpu.machineBusyFraction)) * 100, 0)} % busy), so the tail follows the supervisor's CPU per request.`,
    ],
  };
}

function perRequestMs(results: readonly ApiRun[], phase: 'enqueueCpu' | 'statusCpu', load: 'enqueue' | 'status'): string {
  return fixed(median(results.map((run) => (run[phase].supervisor * 1000) / run[load].requests)), 3);
}

function commandsPer(commands: ReadonlyMap<string, number>, requests: number): number {
  return [...commands.values()].reduce((sum, calls) => sum + calls, 0) / requests;
}

export async function profileApi(context: BenchContext, cpuProfileDir: string): Promise<ApiRun> {
  return measureApi(context, 'w5-profile', cpuProfileDir);
}
