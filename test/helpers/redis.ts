import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { getFreePort } from './free-port.ts';
import { onProcessExit } from './process-tree.ts';
import { waitFor } from './wait-for.ts';

/** A private redis-server child owned by one test. */
export interface RedisServer {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Pid of the running redis-server, undefined while stopped. */
  readonly pid: number | undefined;
  /** SIGTERM (clean shutdown, AOF flushed) and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit, like a crash. */
  kill(): Promise<void>;
  /** Start again on the same port and dir (AOF data survives) and wait until PING answers. */
  restart(): Promise<void>;
  /** Stop if running and remove the dir when startRedis created it. */
  cleanup(): Promise<void>;
}

/** Options for {@link startRedis}. */
export interface StartRedisOptions {
  /** AOF with fsync on every write; default true. */
  appendonly?: boolean;
  /** Data dir; default a fresh mkdtemp dir that cleanup() removes. */
  dir?: string;
  /** Port; default a free one. */
  port?: number;
}

const readyTimeoutMs = 10_000;
const stopTimeoutMs = 10_000;
let exitHookInstalled = false;
const liveChildren = new Set<ChildProcess>();

/** Start a real redis-server on 127.0.0.1 and wait until it answers PING. */
export async function startRedis(opts: StartRedisOptions = {}): Promise<RedisServer> {
  const binary = findRedisServer();
  const ownsDir = opts.dir === undefined;
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'mediad-redis-')));
  const appendonly = opts.appendonly ?? true;
  // a free port can be taken between probe and bind, so retry with a new one when we chose it
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await getFreePort());
    try {
      const child = await launch(binary, redisArgs(port, dir, appendonly), port);
      return makeServer({ binary, port, dir, appendonly, ownsDir, child });
    } catch (error) {
      if (opts.port !== undefined || attempt >= 3) {
        if (ownsDir) await rm(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
}

interface ServerState {
  binary: string;
  port: number;
  dir: string;
  appendonly: boolean;
  ownsDir: boolean;
  child: ChildProcess | undefined;
}

function makeServer(state: ServerState): RedisServer {
  const terminate = async (signal: NodeJS.Signals): Promise<void> => {
    const child = state.child;
    if (!child) return;
    await stopChild(child, signal);
    state.child = undefined;
  };
  return {
    url: `redis://127.0.0.1:${state.port}`,
    port: state.port,
    dir: state.dir,
    get pid() {
      return state.child?.pid;
    },
    stop: () => terminate('SIGTERM'),
    kill: () => terminate('SIGKILL'),
    async restart() {
      await terminate('SIGTERM');
      state.child = await launch(state.binary, redisArgs(state.port, state.dir, state.appendonly), state.port);
    },
    async cleanup() {
      await terminate('SIGTERM');
      if (state.ownsDir) await rm(state.dir, { recursive: true, force: true });
    },
  };
}

function redisArgs(port: number, dir: string, appendonly: boolean): string[] {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
  args.push('--appendonly', appendonly ? 'yes' : 'no');
  // fsync on every write so a SIGKILL loses nothing the client saw acknowledged
  if (appendonly) args.push('--appendfsync', 'always');
  args.push('--daemonize', 'no', '--protected-mode', 'no', '--loglevel', 'warning');
  return args;
}

/** Spawn redis-server and resolve once PING answers; reject with its output if it dies first. */
async function launch(binary: string, args: string[], port: number): Promise<ChildProcess> {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  const output: string[] = [];
  const keep = (chunk: Buffer): void => {
    output.push(chunk.toString('utf8'));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new AbortController();
  child.once('exit', (code, signal) => {
    exited.abort(new Error(`redis-server exited before ready (code ${code}, signal ${signal}): ${output.join('').trim()}`));
  });
  child.once('error', (error) => exited.abort(error));
  try {
    await waitFor(() => pingRedis(port), {
      timeoutMs: readyTimeoutMs,
      intervalMs: 25,
      what: `redis-server on port ${port} to answer PING`,
      signal: exited.signal,
    });
  } catch (error) {
    await stopChild(child, 'SIGKILL');
    throw error;
  }
  return child;
}

/** One raw RESP PING; true on +PONG (not on -LOADING while the AOF replays). */
export async function pingRedis(port: number, host = '127.0.0.1'): Promise<boolean> {
  return await new Promise<boolean>((resolve) => {
    const socket = connect({ port, host });
    let reply = '';
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
    socket.once('end', () => finish(false));
  });
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
  await exited;
  clearTimeout(timer);
}

function trackChild(child: ChildProcess): void {
  // a forgotten server must not keep the test process alive; the exit hook kills it instead
  child.unref();
  // stdio pipes of a child are net.Sockets, which the Readable type does not say
  (child.stdout as Socket | null)?.unref();
  (child.stderr as Socket | null)?.unref();
  if (liveChildren.size === 0 && !exitHookInstalled) {
    exitHookInstalled = true;
    // a failed test must not leave redis-servers holding ports and temp dirs
    onProcessExit(() => {
      for (const running of liveChildren) running.kill('SIGKILL');
    });
  }
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
}

function findRedisServer(): string {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/bin', '/usr/local/bin', '/usr/sbin'];
  for (const dir of dirs.filter(Boolean)) {
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not in this dir
    }
  }
  throw new Error('redis-server not found: apt-get install redis-server');
}
