import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { request, type Dispatcher } from 'undici';
import { getFreePort } from './free-port.ts';
import { isAlive, listDescendants, onProcessExit, readProcStat, signalQuietly, waitForExit } from './process-tree.ts';
import { waitFor } from './wait-for.ts';

/** How to start the daemon; everything defaults to a private, fresh setup. */
export interface DaemonOptions {
  /** Shared redis; when omitted the daemon starts its own embedded redis-server. */
  redisUrl?: string;
  downloadDir?: string;
  stateDir?: string;
  workers?: number;
  /** Downloads per worker process (MEDIAD_JOBS_PER_WORKER); 1 unless set, so `workers` is the number of downloads at once. */
  jobsPerWorker?: number;
  /** Default true: the test origin lives on 127.0.0.1. */
  allowPrivateNetworks?: boolean;
  /** Extra MEDIAD_* (or other) variables; they win over the defaults. */
  env?: Record<string, string>;
  /** Default 30000. */
  readyTimeoutMs?: number;
  port?: number;
}

/** A decoded API answer. */
// any by default: job records are defined by src/, tests narrow the fields they assert on
export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Record<string, string>;
}

/** Extra knobs for {@link Daemon.api}. */
export interface ApiOptions {
  /** Send these bytes as-is instead of JSON-encoding `body` (for malformed-input tests). */
  rawBody?: string | Buffer;
  /** Per-request headers/body timeout; default 10000. */
  timeoutMs?: number;
}

/** How the daemon process ended. */
export interface DaemonExit {
  code: number | null;
  signal: string | null;
  exitedAfterMs: number;
}

/** The daemon running as a real child process (a new process group). */
export interface Daemon {
  readonly baseUrl: string;
  readonly port: number;
  /** Pid of the current incarnation (changes on restart). */
  readonly pid: number;
  readonly downloadDir: string;
  readonly stateDir: string;
  /** Parsed JSON log lines from stdout and stderr, across restarts; other lines kept as {msg: line}. */
  readonly logs: readonly Record<string, unknown>[];
  /** JSON in, JSON (or text) out; never throws on HTTP status. */
  api<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
    opts?: ApiOptions,
  ): Promise<ApiResponse<T>>;
  /** Poll GET /v1/downloads/:id until `predicate` holds; default timeout 30000. */
  waitForJob<T = any>(id: string, predicate: (job: T) => boolean, opts?: { timeoutMs?: number; what?: string }): Promise<T>;
  /** Poll until the job's `state` is one of `state`; default timeout 30000. */
  waitForState(id: string, state: string | string[], timeoutMs?: number): Promise<any>;
  /** Signal the daemon process only (default SIGKILL), not its group, and wait for it to exit. */
  kill(signal?: NodeJS.Signals, timeoutMs?: number): Promise<DaemonExit>;
  /** SIGKILL the daemon and every descendant at once, like the OOM killer. */
  killTree(): Promise<void>;
  /** Start again with the same options, port and dirs; waits until ready. Stops a running one first. */
  restart(): Promise<void>;
  /** SIGTERM, wait, then SIGKILL whatever descendants remain; safe to call twice. */
  stop(): Promise<void>;
  /** stop(), then remove the dirs startDaemon created. */
  cleanup(): Promise<void>;
  /** Descendants seen since start (any incarnation) that are still alive, e.g. workers orphaned by kill(). */
  knownDescendants(): number[];
}

/** The processes one Daemon handle is responsible for. */
interface Owned {
  current: Incarnation | undefined;
  /** Descendants ever seen, pid → start time, so orphans of a killed daemon are still found. */
  known: Map<number, string>;
  /** Every incarnation's pid (also its process group id, from the detached spawn) → its start time. */
  groups: Map<number, string>;
}

interface Incarnation {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  running: boolean;
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const stopTimeoutMs = 20_000;
const snapshotIntervalMs = 200;
/** Every daemon handle still owning processes, for the exit hook. */
const liveDaemons = new Set<Owned>();
let exitHookInstalled = false;

/** Start `node --import tsx src/main.ts` and wait until GET /v1/health answers 200. */
export async function startDaemon(opts: DaemonOptions = {}): Promise<Daemon> {
  const port = opts.port ?? (await getFreePort());
  const downloadDir = opts.downloadDir ?? (await mkdtemp(join(tmpdir(), 'mediad-downloads-')));
  const stateDir = opts.stateDir ?? (await mkdtemp(join(tmpdir(), 'mediad-state-')));
  const baseUrl = `http://127.0.0.1:${port}`;
  const env = daemonEnv(opts, port, downloadDir, stateDir);
  const logs: Record<string, unknown>[] = [];
  const owned: Owned = { current: undefined, known: new Map(), groups: new Map() };
  installExitHook();
  liveDaemons.add(owned);
  const boot = async (): Promise<void> => {
    owned.current = await launch({ env, logs, owned, baseUrl, readyTimeoutMs: opts.readyTimeoutMs ?? 30_000 });
  };
  try {
    await boot();
  } catch (error) {
    liveDaemons.delete(owned);
    await removeCreatedDirs(opts, downloadDir, stateDir);
    throw error;
  }

  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    stopping ??= stopGracefully(owned).finally(() => {
      stopping = undefined;
    });
    await stopping;
  };

  return {
    baseUrl,
    port,
    downloadDir,
    stateDir,
    logs,
    get pid() {
      return requireCurrent(owned).pid;
    },
    api: async (method, path, body, headers = {}, apiOpts = {}) => await callApi(baseUrl, method, path, body, headers, apiOpts),
    waitForJob: async (id, predicate, waitOpts = {}) => await pollJob(baseUrl, id, predicate, waitOpts),
    waitForState: async (id, state, timeoutMs) => {
      const wanted = Array.isArray(state) ? state : [state];
      // any: the job shape belongs to src/; only `state` is read here
      return await pollJob<any>(baseUrl, id, (job) => wanted.includes(job?.state), {
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
        what: `job ${id} to reach state ${wanted.join(' | ')}`,
      });
    },
    kill: async (signal = 'SIGKILL', timeoutMs = stopTimeoutMs) =>
      await signalDaemon(requireCurrent(owned), owned, signal, timeoutMs),
    killTree: async () => await killEverything(owned),
    async restart() {
      // a crashed incarnation's orphans are left alone: tests assert how the new daemon copes with them
      if (owned.current?.running) await stop();
      await boot();
    },
    stop,
    async cleanup() {
      await stop();
      liveDaemons.delete(owned);
      await removeCreatedDirs(opts, downloadDir, stateDir);
    },
    knownDescendants: () => {
      if (owned.current) rememberDescendants(owned.current, owned.known);
      return survivingKnown(owned.known);
    },
  };
}

async function removeCreatedDirs(opts: DaemonOptions, downloadDir: string, stateDir: string): Promise<void> {
  if (opts.downloadDir === undefined) await rm(downloadDir, { recursive: true, force: true });
  if (opts.stateDir === undefined) await rm(stateDir, { recursive: true, force: true });
}

/** Poll GET /v1/downloads/:id until `predicate` holds; the timeout error carries the last job seen. */
async function pollJob<T>(
  baseUrl: string,
  id: string,
  predicate: (job: T) => boolean,
  opts: { timeoutMs?: number; what?: string },
): Promise<T> {
  const path = `/v1/downloads/${encodeURIComponent(id)}`;
  let lastJob: unknown;
  const probe = async (): Promise<T | undefined> => {
    const response = await callApi<T>(baseUrl, 'GET', path, undefined, {}, {});
    if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}: ${JSON.stringify(response.body)}`);
    lastJob = response.body;
    return predicate(response.body) ? response.body : undefined;
  };
  const what = opts.what ?? `job ${id} to match its predicate`;
  try {
    return await waitFor(probe, { timeoutMs: opts.timeoutMs ?? 30_000, intervalMs: 100, what });
  } catch (error) {
    throw new Error(`${(error as Error).message}; last job: ${JSON.stringify(lastJob)}`, { cause: error });
  }
}

function daemonEnv(opts: DaemonOptions, port: number, downloadDir: string, stateDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // the test's own MEDIAD_* must not leak in; NODE_TEST_CONTEXT would make node:test in the child report to us
    if (value !== undefined && !key.startsWith('MEDIAD_') && key !== 'NODE_TEST_CONTEXT') env[key] = value;
  }
  env['MEDIAD_HOST'] = '127.0.0.1';
  env['MEDIAD_PORT'] = String(port);
  env['MEDIAD_DOWNLOAD_DIR'] = downloadDir;
  env['MEDIAD_STATE_DIR'] = stateDir;
  env['MEDIAD_ALLOW_PRIVATE_NETWORKS'] = String(opts.allowPrivateNetworks ?? true);
  env['MEDIAD_LOG_LEVEL'] = 'info';
  if (opts.workers !== undefined) env['MEDIAD_WORKERS'] = String(opts.workers);
  // tests count downloads in processes: one each unless a test asks for more
  env['MEDIAD_JOBS_PER_WORKER'] = String(opts.jobsPerWorker ?? 1);
  if (opts.redisUrl !== undefined) env['MEDIAD_REDIS_URL'] = opts.redisUrl;
  return { ...env, ...opts.env };
}

interface LaunchContext {
  env: NodeJS.ProcessEnv;
  logs: Record<string, unknown>[];
  owned: Owned;
  baseUrl: string;
  readyTimeoutMs: number;
}

/** Spawn one incarnation and wait for health; on failure kill its tree and report its last logs. */
async function launch(context: LaunchContext): Promise<Incarnation> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: repoRoot,
    env: context.env,
    // its own process group, so the whole tree can be signalled like a service manager would
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const spawnFailed = new Promise<never>((_, reject) => child.once('error', reject));
  spawnFailed.catch(() => {});
  await Promise.race([new Promise<void>((resolve) => child.once('spawn', () => resolve())), spawnFailed]);
  // a forgotten daemon must not keep the test process alive; the exit hook kills its tree instead
  child.unref();
  (child.stdout as Socket | null)?.unref();
  (child.stderr as Socket | null)?.unref();
  const incarnation: Incarnation = { child, pid: child.pid ?? 0, exited, running: true };
  context.owned.groups.set(incarnation.pid, readProcStat(incarnation.pid)?.startTime ?? "");
  void exited.then(() => {
    incarnation.running = false;
  });
  collectLogs(child, context.logs);
  watchDescendants(incarnation, context.owned.known);

  const died = new AbortController();
  void exited.then(({ code, signal }) => died.abort(new Error(`daemon exited before ready (code ${code}, signal ${signal})`)));
  try {
    await waitFor(() => isHealthy(context.baseUrl), {
      timeoutMs: context.readyTimeoutMs,
      intervalMs: 100,
      what: `mediad on ${context.baseUrl} to answer GET /v1/health with 200`,
      signal: died.signal,
    });
  } catch (error) {
    await killEverything({ ...context.owned, current: incarnation });
    const tail = context.logs.slice(-30).map((line) => JSON.stringify(line)).join('\n');
    throw new Error(`${(error as Error).message}\nlast daemon log lines:\n${tail}`, { cause: error });
  }
  return incarnation;
}

async function isHealthy(baseUrl: string): Promise<boolean> {
  const response = await request(`${baseUrl}/v1/health`, { reset: true, headersTimeout: 2000, bodyTimeout: 2000 });
  await response.body.dump();
  return response.statusCode === 200;
}

function collectLogs(child: ChildProcess, logs: Record<string, unknown>[]): void {
  const echo = process.env['HARNESS_ECHO_DAEMON_LOGS'] === '1';
  const follow = (stream: NodeJS.ReadableStream | null, name: 'stdout' | 'stderr'): void => {
    if (!stream) return;
    createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
      if (echo) process.stderr.write(`[mediad ${child.pid} ${name}] ${line}\n`);
      logs.push(parseLogLine(line, name));
    });
  };
  follow(child.stdout, 'stdout');
  follow(child.stderr, 'stderr');
}

function parseLogLine(line: string, stream: 'stdout' | 'stderr'): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(line);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // not pino output: a stack trace, a tsx error, a console.log
  }
  return stream === 'stderr' ? { msg: line, stream } : { msg: line };
}

/** Remember every descendant while the daemon runs: once it dies they are reparented and no tree leads to them. */
function watchDescendants(incarnation: Incarnation, known: Map<number, string>): void {
  const timer = setInterval(() => rememberDescendants(incarnation, known), snapshotIntervalMs);
  timer.unref();
  void incarnation.exited.then(() => clearInterval(timer));
}

function rememberDescendants(incarnation: Incarnation, known: Map<number, string>): void {
  if (!incarnation.running) return;
  for (const pid of listDescendants(incarnation.pid)) {
    const stat = readProcStat(pid);
    if (stat) known.set(pid, stat.startTime);
  }
}

/** Known descendants that are still the same processes (pid and start time match). */
function survivingKnown(known: Map<number, string>): number[] {
  return [...known].filter(([pid, startTime]) => readProcStat(pid)?.startTime === startTime && isAlive(pid)).map(([pid]) => pid);
}

async function signalDaemon(
  incarnation: Incarnation,
  owned: { known: Map<number, string> },
  signal: NodeJS.Signals,
  timeoutMs: number,
): Promise<DaemonExit> {
  if (!incarnation.running) return { ...(await incarnation.exited), exitedAfterMs: 0 };
  rememberDescendants(incarnation, owned.known);
  const sentAt = performance.now();
  incarnation.child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  const exit = await Promise.race([incarnation.exited, timedOut]);
  clearTimeout(timer);
  if (!exit) throw new Error(`daemon pid ${incarnation.pid} did not exit within ${timeoutMs} ms of ${signal}`);
  return { ...exit, exitedAfterMs: Math.round(performance.now() - sentAt) };
}

async function stopGracefully(owned: Owned): Promise<void> {
  const incarnation = owned.current;
  if (incarnation?.running) {
    try {
      await signalDaemon(incarnation, owned, 'SIGTERM', stopTimeoutMs);
    } catch {
      // it ignored SIGTERM; the kill below takes it with everything else
    }
  }
  await killEverything(owned);
}

/** SIGKILL the current daemon, its descendants, its process group and every surviving known descendant. */
async function killEverything(owned: Owned): Promise<void> {
  const victims = killEverythingNow(owned);
  await Promise.all(victims.map((pid) => waitForExit(pid, 5000)));
  // the child is unref'd: a ref'd timer keeps the loop alive until node reaps it
  const reapTimer = setTimeout(() => {}, 5000);
  if (owned.current) await owned.current.exited;
  clearTimeout(reapTimer);
}

function killEverythingNow(owned: Owned): number[] {
  const roots = survivingKnown(owned.known);
  const incarnation = owned.current;
  if (incarnation?.running) roots.unshift(incarnation.pid);
  const victims = freezeTrees(roots);
  // each daemon led its own group, which also holds children the tree walk missed; Linux keeps a
  // group's number out of reuse while the group has members, so only a live stranger leader means reuse
  for (const [group, startTime] of owned.groups) {
    const leader = readProcStat(group);
    if (!leader || leader.startTime === startTime) signalQuietly(-group, 'SIGKILL');
  }
  for (const pid of victims) signalQuietly(pid, 'SIGKILL');
  return victims;
}

/** SIGSTOP the roots and their descendants until the set stops growing, so nothing forks or respawns meanwhile. */
function freezeTrees(roots: number[]): number[] {
  const victims = new Set<number>();
  for (let grew = true; grew; ) {
    grew = false;
    for (const pid of [...roots, ...roots.flatMap((root) => listDescendants(root))]) {
      if (victims.has(pid)) continue;
      signalQuietly(pid, 'SIGSTOP');
      victims.add(pid);
      grew = true;
    }
  }
  return [...victims];
}

async function callApi<T>(
  baseUrl: string,
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string>,
  opts: ApiOptions,
): Promise<ApiResponse<T>> {
  const payload = opts.rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
  const sendsJson = opts.rawBody === undefined && body !== undefined;
  const jsonHeader: Record<string, string> = sendsJson ? { 'content-type': 'application/json' } : {};
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const requestOptions: Parameters<typeof request>[1] = {
    method: method.toUpperCase() as Dispatcher.HttpMethod,
    headers: { ...jsonHeader, ...headers },
    // a fresh connection per call: a pooled socket to a killed daemon would fail the next request
    reset: true,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    ...(payload === undefined ? {} : { body: payload }),
  };
  const response = await request(`${baseUrl}${path}`, requestOptions);
  const text = await response.body.text();
  const flatHeaders: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) flatHeaders[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return { status: response.statusCode, body: decodeBody(text, flatHeaders['content-type']) as T, headers: flatHeaders };
}

function decodeBody(text: string, contentType: string | undefined): unknown {
  if (text === '' || !contentType?.includes('json')) return text === '' ? undefined : text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function requireCurrent(owned: { current: Incarnation | undefined }): Incarnation {
  if (!owned.current) throw new Error('daemon is not started');
  return owned.current;
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // a failed or interrupted test must not leave daemons, workers or embedded redis-servers behind
  onProcessExit(() => {
    for (const owned of liveDaemons) killEverythingNow(owned);
  });
}
