/**
 * The yt-dlp resolver: runs `yt-dlp -J --no-warnings <url>` (from config
 * `ytDlp.path`, or found on PATH) and maps its JSON. yt-dlp only lists
 * formats here; mediad's engine downloads them.
 */
import { spawn } from 'node:child_process';
import { MediadError } from '../errors.ts';
import { createLineTail } from '../postprocess/ffmpeg.ts';
import type { ResolvedMedia, Resolver } from './types.ts';
import { classifyPlayability } from './youtube-errors.ts';
import { mapYtDlpInfo } from './yt-dlp-map.ts';

/** yt-dlp -J for a long video with hundreds of formats is a few MiB; cap it well above that. */
const MAX_JSON_BYTES = 64 * 1024 * 1024;
/** yt-dlp may retry extractor requests for a while; past two minutes the job should retry instead. */
export const DEFAULT_YT_DLP_TIMEOUT_MS = 120_000;

/** Options of createYtDlpResolver (config `ytDlp.*`). */
export interface YtDlpResolverOptions {
  /** Config `ytDlp.path`; a bare name is looked up on PATH. */
  readonly executablePath?: string | undefined;
  readonly timeoutMs?: number | undefined;
}

/** The arguments mediad passes to yt-dlp; `--` ends options so a URL can never be read as one. */
export function buildYtDlpArgs(url: string): string[] {
  return ['-J', '--no-warnings', '--no-playlist', '--', url];
}

/** Map a failed run's stderr to a catalog error: playability verdicts, unsupported URLs, else retryable. */
export function classifyYtDlpFailure(stderrLines: readonly string[], exitDescription: string): MediadError {
  const errorLine = [...stderrLines].reverse().find((line) => line.startsWith('ERROR:')) ?? stderrLines.at(-1) ?? '';
  if (/Unsupported URL/i.test(errorLine)) return new MediadError('MEDIAD_ERR_UNSUPPORTED_URL', errorLine);
  const verdict = classifyPlayability({ reason: errorLine });
  if (verdict) return verdict;
  return new MediadError('MEDIAD_ERR_RESOLVE_FAILED', `yt-dlp ${exitDescription}${errorLine === '' ? '' : `: ${errorLine}`}`);
}

/** Run yt-dlp and parse its JSON; rejects with a catalog error. */
export function runYtDlp(executablePath: string, url: string, signal: AbortSignal, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(executablePath, buildYtDlpArgs(url), { stdio: ['ignore', 'pipe', 'pipe'], signal, killSignal: 'SIGKILL' });
    const chunks: Buffer[] = [];
    let bytes = 0;
    let failure: MediadError | undefined;
    const stderr = createLineTail(20);
    // Our own timer, not spawn's `timeout`: Node never clears that one when the spawn fails (ENOENT),
    // which would keep the process alive for the whole timeout.
    const timer = setTimeout(() => {
      failure ??= new MediadError('MEDIAD_ERR_RESOLVE_FAILED', `yt-dlp was stopped after ${timeoutMs} ms`);
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > MAX_JSON_BYTES) {
        failure = new MediadError('MEDIAD_ERR_RESOLVE_FAILED', `yt-dlp printed more than ${MAX_JSON_BYTES} bytes`);
        child.kill('SIGKILL');
      } else chunks.push(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'EACCES') {
        failure = new MediadError('MEDIAD_ERR_YTDLP_MISSING', `yt-dlp not found or not executable at "${executablePath}"`, { cause: error });
      } else if (error.name === 'AbortError') {
        failure = new MediadError('MEDIAD_ERR_CANCELED', 'Resolving with yt-dlp was canceled', { cause: error });
      } else failure ??= new MediadError('MEDIAD_ERR_RESOLVE_FAILED', `yt-dlp could not run: ${error.message}`, { cause: error });
      // 'close' may never follow a spawn failure, so settle here too.
      if (child.pid === undefined) {
        clearTimeout(timer);
        reject(failure);
      }
    });
    child.on('close', (code, killedBy) => {
      clearTimeout(timer);
      if (failure) return reject(failure);
      if (code !== 0) return reject(classifyYtDlpFailure(stderr.lines(), `exited with ${code === null ? String(killedBy) : `code ${code}`}`));
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (error) {
        reject(new MediadError('MEDIAD_ERR_RESOLVE_FAILED', 'yt-dlp printed invalid JSON', { cause: error }));
      }
    });
  });
}

/** Create the yt-dlp resolver. */
export function createYtDlpResolver(options: YtDlpResolverOptions = {}): Resolver {
  const executablePath = options.executablePath ?? 'yt-dlp';
  const timeoutMs = options.timeoutMs ?? DEFAULT_YT_DLP_TIMEOUT_MS;
  return {
    name: 'yt-dlp',
    canResolve: (url) => url.protocol === 'http:' || url.protocol === 'https:',
    async resolve(pageUrl, signal): Promise<ResolvedMedia> {
      if (signal.aborted) throw new MediadError('MEDIAD_ERR_CANCELED', 'Resolving with yt-dlp was canceled');
      return mapYtDlpInfo(await runYtDlp(executablePath, pageUrl, signal, timeoutMs), pageUrl);
    },
  };
}
