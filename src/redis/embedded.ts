/**
 * The private redis-server the daemon starts when MEDIAD_REDIS_URL is unset:
 * a child process on a unix socket under the state folder, append-only file
 * on so the queue survives restarts. A server left behind by a daemon that
 * was killed is stopped first, so two servers never share one data folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MediadError } from '../errors.ts';
import { isRunning } from '../proc-stat.ts';
import type { RedisTarget } from './connection.ts';

export interface EmbeddedRedis {
  readonly target: RedisTarget;
  readonly pid: number;
  stop(): Promise<void>;
}

export interface EmbeddedRedisOptions {
  readonly stateDir: string;
  readonly appendFsync: 'always' | 'everysec' | 'no';
  readonly executable?: string;
  readonly log: { info(details: object, message: string): void; warn(details: object, message: string): void };
}

const maxSocketPathLength = 100; // sun_path is 108 bytes on Linux

export async function startEmbeddedRedis(options: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  const dir = path.join(options.stateDir, 'redis');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const pidFile = path.join(dir, 'redis.pid');
  await stopLeftover(pidFile, options.log);
  const socketPath = path.join(dir, 'redis.sock');
  const useSocket = socketPath.length <= maxSocketPathLength;
  await rm(socketPath, { force: true });
  const port = useSocket ? 0 : await freePort();
  const args = [
    '--dir', dir, '--pidfile', pidFile, '--daemonize', 'no', '--save', '', '--appendonly', 'yes',
    '--appendfsync', options.appendFsync, '--appenddirname', 'appendonly', '--bind', '127.0.0.1', '--port', String(port),
    '--protected-mode', 'no', '--loglevel', 'warning', '--maxmemory-policy', 'noeviction',
    ...(useSocket ? ['--unixsocket', socketPath, '--unixsocketperm', '700'] : []),
  ];
  const child = spawn(options.executable ?? 'redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'ENOENT'
      ? new MediadError('MEDIAD_ERR_CONFIG', 'redis-server not found: install it (apt-get install redis-server) or set MEDIAD_REDIS_URL')
      : error));
    child.once('exit', (code) => reject(new MediadError('MEDIAD_ERR_CONFIG', `embedded redis-server exited with code ${code}: ${lastStderr.trim()}`)));
  });
  let lastStderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { lastStderr = (lastStderr + chunk.toString()).slice(-2000); });
  const target: RedisTarget = useSocket ? { path: socketPath } : { url: `redis://127.0.0.1:${port}` };
  await Promise.race([waitUntilAnswering(useSocket ? { path: socketPath } : { port, host: '127.0.0.1' }), failed]);
  failed.catch(() => undefined);
  options.log.info({ pid: child.pid, dir, socket: useSocket ? socketPath : undefined, port: useSocket ? undefined : port }, 'embedded redis started');
  return { target, pid: child.pid as number, stop: () => stopChild(child) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM'); // redis flushes the AOF on SIGTERM
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** A redis-server from a daemon that was killed still owns the folder: stop it (SIGTERM flushes its AOF) before starting ours. */
async function stopLeftover(pidFile: string, log: EmbeddedRedisOptions['log']): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || !isRedisProcess(pid)) return;
  log.warn({ pid }, 'stopping a redis-server left behind by an earlier run');
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let waited = 0; waited < 10_000; waited += 50) {
    if (!isRedisProcess(pid)) return;
    await sleep(50);
  }
  process.kill(pid, 'SIGKILL');
  await sleep(100);
}

function isRedisProcess(pid: number): boolean {
  if (!isRunning(pid)) return false; // a zombie holds nothing
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('redis-server');
  } catch {
    return false;
  }
}

async function waitUntilAnswering(address: { path: string } | { port: number; host: string }): Promise<void> {
  for (let waited = 0; waited < 15_000; waited += 50) {
    if (await pingOnce(address)) return;
    await sleep(50);
  }
  throw new MediadError('MEDIAD_ERR_CONFIG', 'embedded redis-server did not answer within 15 s');
}

function pingOnce(address: { path: string } | { port: number; host: string }): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(address as net.NetConnectOpts);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
