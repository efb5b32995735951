/** Starts the benchmark origin (bench/origin-server.ts) as a separate process, so its CPU is its own. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { own } from './child-registry.ts';

export interface OriginStats {
  readonly requests: number;
  readonly bodyBytes: number;
  readonly activeResponseMs: number;
}

export interface OriginProcess {
  readonly pid: number;
  readonly baseUrl: string;
  /** URL of a data file; `bytesPerSecond` caps every response (connection) for it. */
  url(rel: string, bytesPerSecond?: number): string;
  /** Counters since the origin started: requests, bytes sent (with headers), and ms of responses in flight summed. */
  stats(): Promise<OriginStats>;
  stop(): Promise<void>;
}

const serverScript = fileURLToPath(new URL('./origin-server.ts', import.meta.url));

export async function startOrigin(dataDir: string): Promise<OriginProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', serverScript, dataDir], {
    cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'],
  });
  own(child);
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const match = /^listening ([0-9]+)$/.exec(line);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`origin exited with code ${code} before listening`)));
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    pid: child.pid as number,
    baseUrl,
    url: (rel, bytesPerSecond) => `${baseUrl}${bytesPerSecond ? `/rate/${bytesPerSecond}` : ''}/${rel.split('/').map(encodeURIComponent).join('/')}`,
    async stats() {
      const response = await request(`${baseUrl}/_stats`);
      return (await response.body.json()) as OriginStats;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
