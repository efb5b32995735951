/**
 * Run ffmpeg as a child process: parse `-progress pipe:1` output into a
 * percentage, kill the process when the signal aborts, and turn failures into
 * catalog errors carrying ffmpeg's last stderr lines.
 */
import { spawn } from 'node:child_process';
import { MediadError } from '../errors.ts';

/** How many stderr lines to keep for the error message; ffmpeg prints the cause last. */
const STDERR_TAIL_LINES = 12;

/** Options of runFfmpeg. */
export interface RunFfmpegOptions {
  /** Executable path (config `ffmpeg.path`), or a bare name looked up on PATH. */
  readonly ffmpegPath: string;
  /** Arguments from ffmpeg-args.ts; they must include `-progress pipe:1`. */
  readonly args: readonly string[];
  /** Length of the media in seconds; without it no percentage can be computed. */
  readonly durationSeconds?: number | undefined;
  /** Called with 0..100 as progress advances, and with 100 when ffmpeg reports the end. */
  readonly onProgress?: ((percent: number) => void) | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Called with the child's pid once it runs (for logs and for tests that check it is gone). */
  readonly onStart?: ((pid: number) => void) | undefined;
}

/**
 * Percent done from one `-progress` line, or undefined for lines that carry none.
 * `out_time_us` is microseconds of output written; `progress=end` means finished.
 */
export function readProgressPercent(line: string, durationSeconds: number | undefined): number | undefined {
  if (line.trim() === 'progress=end') return 100;
  const match = /^out_time_us=(\d+)\s*$/.exec(line);
  if (!match?.[1] || durationSeconds === undefined || !(durationSeconds > 0)) return undefined;
  const percent = (Number(match[1]) / 1e6 / durationSeconds) * 100;
  return Math.min(100, Math.max(0, percent));
}

/** Keep the last `limit` lines of a stream that arrives in arbitrary chunks. */
export function createLineTail(limit: number): { push(chunk: string): void; lines(): string[] } {
  const kept: string[] = [];
  let partial = '';
  return {
    push(chunk) {
      const parts = (partial + chunk).split(/\r?\n|\r/);
      partial = parts.pop() ?? '';
      for (const part of parts) if (part.trim() !== '') kept.push(part);
      if (kept.length > limit) kept.splice(0, kept.length - limit);
    },
    lines: () => (partial.trim() === '' ? [...kept] : [...kept, partial]).slice(-limit),
  };
}

/** Run ffmpeg to completion; rejects with FFMPEG_MISSING, FFMPEG_FAILED or CANCELED. */
export function runFfmpeg(options: RunFfmpegOptions): Promise<void> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(new MediadError('MEDIAD_ERR_CANCELED', 'ffmpeg was canceled before it started'));
  return new Promise((resolve, reject) => {
    const child = spawn(options.ffmpegPath, options.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const stderr = createLineTail(STDERR_TAIL_LINES);
    const stdout = createLineTail(1);
    let lastPercent = -1;
    let settled = false;
    let canceled = false;
    const finish = (error?: MediadError): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    };
    // Settles on 'close', so when the promise rejects the process is already gone.
    const onAbort = (): void => {
      canceled = true;
      // SIGKILL: the partial output is discarded anyway, and ffmpeg may ignore SIGTERM while blocked on I/O.
      child.kill('SIGKILL');
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (child.pid !== undefined) options.onStart?.(child.pid);

    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout.push(chunk);
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const percent = readProgressPercent(line, options.durationSeconds);
        // Report only forward movement of at least 0.1 %: ffmpeg prints progress twice a second.
        if (percent !== undefined && percent >= lastPercent + 0.1) {
          lastPercent = percent;
          options.onProgress?.(percent);
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') {
        finish(new MediadError('MEDIAD_ERR_FFMPEG_MISSING', `ffmpeg not found at "${options.ffmpegPath}"`, { cause: error }));
      } else {
        finish(new MediadError('MEDIAD_ERR_FFMPEG_FAILED', `ffmpeg could not start: ${error.message}`, { cause: error }));
      }
    });
    child.on('close', (code, killedBy) => {
      if (canceled) return finish(new MediadError('MEDIAD_ERR_CANCELED', 'ffmpeg was canceled'));
      if (code === 0) return finish();
      const tail = stderr.lines().join('\n');
      const how = killedBy === null ? `exited with code ${String(code)}` : `was killed by ${killedBy}`;
      finish(new MediadError('MEDIAD_ERR_FFMPEG_FAILED', `ffmpeg ${how}${tail === '' ? '' : `:\n${tail}`}`));
    });
  });
}
