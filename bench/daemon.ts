/** Starts mediad as a child process (its own embedded Redis), talks to its API, stops it. */
import { execFile, spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Pool } from 'undici';
import { own } from './child-registry.ts';
import { observe } from './observations.ts';
import { isRunning } from '../src/proc-stat.ts';
import { daemonProcesses, processesMentioning } from './proc-stats.ts';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * Where the bench's own build of mediad lives (see build.ts): a private copy, so that someone running
 * `npm run build` in the repository during a benchmark cannot swap the code under a measurement.
 */
export const privateBuildRoot = path.join(process.env.BENCH_WORK_DIR ?? '/tmp/mediad-bench-work', 'build');

/** The node flags `npm start` runs the daemon with (package.json), so the bench measures what ships. */
export function shippedNodeFlags(): string[] {
  const start = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const words = start.split(/\s+/);
  return words.slice(words.indexOf('node') + 1, words.indexOf('dist/src/main.js'));
}

export interface DaemonSettings {
  readonly workers: number;
  /** MEDIAD_JOBS_PER_WORKER: downloads each worker runs at once. */
  readonly jobsPerWorker: number;
  readonly connections: number;
  /** Where to start: compiled dist/ (default) or src/ through tsx. */
  readonly fromSource: boolean;
  /** Folder for this daemon's downloads and log. */
  readonly runDir: string;
  /** When set, every mediad process writes a V8 CPU profile here on exit. */
  readonly cpuProfileDir?: string | undefined;
}

/** The fields of a job view the benchmark reads. */
export interface JobView {
  readonly id: string;
  readonly state: 'queued' | 'active' | 'completed' | 'failed' | 'canceled';
  readonly file: { readonly path: string; readonly size: number; readonly sha256: string | null } | null;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly finishedAt: string | null;
  readonly attempts: number;
}

export interface RunningDaemon {
  readonly pid: number;
  readonly baseUrl: string;
  readonly downloadDir: string;
  readonly logFile: string;
  enqueue(body: Record<string, unknown>): Promise<JobView>;
  /** POST /v1/downloads/batch: one request for the whole list. */
  enqueueList(bodies: readonly Record<string, unknown>[]): Promise<JobView[]>;
  getJob(id: string): Promise<JobView>;
  /** Polls the list endpoint until every id is in a terminal state or `timeoutMs` passes. */
  waitForJobs(ids: readonly string[], timeoutMs: number, pollMs?: number): Promise<{ jobs: Map<string, JobView>; stuck: string[] }>;
  /** Calls per Redis command so far, from the embedded server's INFO commandstats (commands run inside Lua scripts count too). */
  redisCommands(): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

const run = promisify(execFile);

/** Commands counted between two INFO commandstats readings, without the readings' own INFO. */
export function commandsBetween(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): Map<string, number> {
  const delta = new Map<string, number>();
  for (const [name, calls] of after) {
    const count = calls - (before.get(name) ?? 0) - (name === 'info' ? 1 : 0);
    if (count > 0) delta.set(name, count);
  }
  return delta;
}

/** "12.0 per job: evalsha 2.0, hset 1.5, …" */
export function describeCommands(commands: ReadonlyMap<string, number>, per: number, top = 8): string {
  const total = [...commands.values()].reduce((sum, calls) => sum + calls, 0);
  const leading = [...commands].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, calls]) => `${name} ${(calls / per).toFixed(1)}`);
  return `${(total / per).toFixed(1)} (${leading.join(', ')})`;
}

const terminal = new Set(['completed', 'failed', 'canceled']);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address !== 'object') throw new Error('no free port');
  return address.port;
}

/** After a supervisor died at start-up: its embedded redis-server or workers may live on, re-parented; they name our fresh state or download folder. */
async function endOrphans(stateDir: string, downloadDir: string): Promise<void> {
  const orphans = processesMentioning([stateDir, downloadDir]);
  for (const { pid, cmdline } of orphans) {
    observe(`mediad exited during start-up and left ${cmdline.includes('redis-server') ? 'its embedded redis-server' : 'a process'} running (pid ${pid}: ${cmdline.slice(0, 80)}); the bench stopped it`);
    process.kill(pid, 'SIGTERM');
  }
  if (orphans.length > 0) await sleep(1000);
  await rm(stateDir, { recursive: true, force: true });
}

export async function startDaemon(settings: DaemonSettings): Promise<RunningDaemon> {
  const port = await freePort();
  const downloadDir = path.join(settings.runDir, 'downloads');
  await mkdir(downloadDir, { recursive: true });
  const stateDir = await mkdtemp('/tmp/mbs-'); // short: the embedded redis socket path must fit sun_path
  const logFile = path.join(settings.runDir, 'daemon.log');
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('MEDIAD_') && name !== 'NODE_OPTIONS') env[name] = value; // unknown MEDIAD_* make the daemon refuse to start
  }
  Object.assign(env, {
    MEDIAD_PORT: String(port), MEDIAD_DOWNLOAD_DIR: downloadDir, MEDIAD_STATE_DIR: stateDir,
    MEDIAD_WORKERS: String(settings.workers), MEDIAD_JOBS_PER_WORKER: String(settings.jobsPerWorker), MEDIAD_CONNECTIONS: String(settings.connections),
    MEDIAD_ALLOW_PRIVATE_NETWORKS: 'true', MEDIAD_LOG_LEVEL: 'warn',
  });
  // --cpu-prof is refused in NODE_OPTIONS on Node 20; as a flag it reaches the workers, which fork with the supervisor's execArgv
  const profileFlags = settings.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${settings.cpuProfileDir}`] : [];
  if (settings.cpuProfileDir) {
    await rm(settings.cpuProfileDir, { recursive: true, force: true }); // only this daemon's profiles
    await mkdir(settings.cpuProfileDir, { recursive: true });
  }
  const args = [...shippedNodeFlags(), ...profileFlags, ...(settings.fromSource ? ['--import', 'tsx', 'src/main.ts'] : [path.join(privateBuildRoot, 'dist', 'src', 'main.js')])];
  const child = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  own(child);
  const log = createWriteStream(logFile);
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const baseUrl = `http://127.0.0.1:${port}`;
  const pool = new Pool(baseUrl, { connections: 16 });
  const logTail = () => {
    try {
      return readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
    } catch {
      return '';
    }
  };

  const call = async <T>(method: 'GET' | 'POST', urlPath: string, body?: unknown): Promise<{ status: number; json: T }> => {
    const response = await pool.request({
      method, path: urlPath, headersTimeout: 60_000, bodyTimeout: 60_000,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    return { status: response.statusCode, json: (await response.body.json()) as T };
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await endOrphans(stateDir, downloadDir);
      await pool.close();
      throw new Error(`mediad exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${logTail()}`);
    }
    const healthy = await call('GET', '/v1/health').then((answer) => answer.status === 200, () => false);
    if (healthy) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited;
      await endOrphans(stateDir, downloadDir);
      await pool.close();
      throw new Error(`mediad not healthy after 60 s:\n${logTail()}`);
    }
    await sleep(100);
  }

  const getJob = async (id: string) => {
    const answer = await call<JobView>('GET', `/v1/downloads/${id}`);
    if (answer.status !== 200) throw new Error(`GET /v1/downloads/${id} answered ${answer.status}: ${JSON.stringify(answer.json)}`);
    return answer.json;
  };

  /** Pages newest-first through the list until every pending id was seen. */
  const settleFromList = async (pending: ReadonlySet<string>, settle: (job: JobView) => void) => {
    const unseen = new Set(pending);
    let cursor: string | null = null;
    do {
      const page: { status: number; json: { jobs: JobView[]; nextCursor: string | null } } = await call('GET', `/v1/downloads?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      if (page.status !== 200) throw new Error(`GET /v1/downloads answered ${page.status}`);
      for (const job of page.json.jobs) if (unseen.delete(job.id)) settle(job);
      cursor = page.json.nextCursor;
    } while (cursor && unseen.size > 0);
  };

  return {
    pid: child.pid as number,
    baseUrl, downloadDir, logFile,
    async enqueue(body) {
      const answer = await call<JobView>('POST', '/v1/downloads', body);
      if (answer.status !== 201) throw new Error(`POST /v1/downloads answered ${answer.status}: ${JSON.stringify(answer.json)}`);
      return answer.json;
    },
    async enqueueList(bodies) {
      const answer = await call<{ jobs: JobView[] }>('POST', '/v1/downloads/batch', { downloads: bodies });
      if (answer.status !== 201) throw new Error(`POST /v1/downloads/batch answered ${answer.status}: ${JSON.stringify(answer.json)}`);
      return answer.json.jobs;
    },
    getJob,
    async waitForJobs(ids, timeoutMs, pollMs = 100) {
      const pending = new Set(ids);
      const jobs = new Map<string, JobView>();
      const until = Date.now() + timeoutMs;
      const settle = (job: JobView) => {
        if (!pending.has(job.id) || !terminal.has(job.state)) return;
        jobs.set(job.id, job);
        pending.delete(job.id);
      };
      // polling must not load the daemon it measures: one GET per poll for the last job still pending (jobs run
      // about in order), and a pass over the list endpoint only once that one is done
      while (pending.size > 0 && Date.now() < until) {
        if (pending.size <= 4) {
          for (const id of [...pending]) settle(await getJob(id));
        } else {
          const last = ids.findLast((id) => pending.has(id)) as string;
          const probe = await getJob(last);
          settle(probe);
          if (terminal.has(probe.state)) await settleFromList(pending, settle);
        }
        if (pending.size > 0) await sleep(pollMs);
      }
      return { jobs, stuck: [...pending] };
    },
    async redisCommands() {
      const { stdout } = await run('redis-cli', ['-s', path.join(stateDir, 'redis', 'redis.sock'), 'INFO', 'commandstats']);
      const counts = new Map<string, number>();
      for (const match of stdout.matchAll(/^cmdstat_([^:]+):calls=([0-9]+)/gm)) counts.set(match[1] as string, Number(match[2]));
      return counts;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const tree = daemonProcesses(child.pid as number);
        child.kill('SIGTERM');
        const stopped = await Promise.race([exited.then(() => true), sleep(30_000, undefined, { ref: false }).then(() => false)]);
        if (!stopped) observe(`mediad did not stop within 30 s of SIGTERM; killed it. Log tail:\n${logTail()}`);
        // whatever of the tree is still running after the supervisor left (a stuck worker or redis) is ours to end
        if (!stopped) process.kill(child.pid as number, 'SIGKILL');
        const leftovers = [...tree.workers, ...tree.redis].map((stat) => stat.pid).filter(isRunning);
        if (leftovers.length > 0) await sleep(2000);
        for (const pid of leftovers.filter(isRunning)) {
          observe(`mediad left process ${pid} (${tree.redis.some((stat) => stat.pid === pid) ? 'redis-server' : 'worker'}) running after it exited; killed it`);
          process.kill(pid, 'SIGKILL');
        }
      }
      await pool.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
