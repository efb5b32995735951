/**
 * Probe a media file with ffprobe: which streams it has and how long it lasts.
 */
import { execFile } from 'node:child_process';
import { MediadError } from '../errors.ts';

/** ffprobe's JSON for a few-stream file is a few KiB; 8 MiB leaves room for chapter-heavy files. */
const MAX_PROBE_OUTPUT_BYTES = 8 * 1024 * 1024;

/** One stream as ffprobe sees it. */
export interface ProbedStream {
  readonly index: number;
  /** codec_type: video, audio, subtitle, data, attachment. */
  readonly type: string;
  readonly codec?: string;
  readonly width?: number;
  readonly height?: number;
  readonly durationSeconds?: number;
}

/** What probeMedia returns: the container's format and duration, and its streams. */
export interface ProbeResult {
  readonly formatName?: string;
  readonly durationSeconds?: number;
  readonly streams: readonly ProbedStream[];
}

function readNumber(value: unknown): number | undefined {
  const parsed = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(parsed) ? parsed : undefined;
}

function readString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/** Parse `ffprobe -print_format json -show_format -show_streams` output (already JSON.parsed). */
export function parseProbeOutput(json: unknown): ProbeResult {
  const root = asRecord(json);
  const format = asRecord(root['format']);
  const rawStreams = Array.isArray(root['streams']) ? root['streams'] : [];
  const streams = rawStreams.map((raw, position): ProbedStream => {
    const stream = asRecord(raw);
    const fields = {
      codec: readString(stream['codec_name']),
      width: readNumber(stream['width']),
      height: readNumber(stream['height']),
      durationSeconds: readNumber(stream['duration']),
    };
    return {
      index: readNumber(stream['index']) ?? position,
      type: readString(stream['codec_type']) ?? 'unknown',
      ...Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)),
    };
  });
  const formatName = readString(format['format_name']);
  const durationSeconds = readNumber(format['duration']);
  return {
    streams,
    ...(formatName === undefined ? {} : { formatName }),
    ...(durationSeconds === undefined ? {} : { durationSeconds }),
  };
}

/** Options of probeMedia. */
export interface ProbeOptions {
  /** Executable path (config `ffprobe.path`), or a bare name looked up on PATH. */
  readonly ffprobePath: string;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Probe `filePath`. A missing ffprobe is FFMPEG_MISSING; a file ffprobe cannot
 * read is OUTPUT_INVALID (it is called on files we produced or downloaded).
 */
export function probeMedia(filePath: string, options: ProbeOptions): Promise<ProbeResult> {
  const args = ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', '--', filePath];
  return new Promise((resolve, reject) => {
    execFile(
      options.ffprobePath,
      args,
      { maxBuffer: MAX_PROBE_OUTPUT_BYTES, encoding: 'utf8', ...(options.signal ? { signal: options.signal } : {}) },
      (error, stdout, stderr) => {
        if (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') {
            return reject(new MediadError('MEDIAD_ERR_FFMPEG_MISSING', `ffprobe not found at "${options.ffprobePath}"`, { cause: error }));
          }
          if (error.name === 'AbortError') return reject(new MediadError('MEDIAD_ERR_CANCELED', 'ffprobe was canceled', { cause: error }));
          const detail = stderr.trim().split('\n').slice(-3).join(' ');
          return reject(new MediadError('MEDIAD_ERR_OUTPUT_INVALID', `ffprobe could not read ${filePath}: ${detail}`, { cause: error }));
        }
        try {
          resolve(parseProbeOutput(JSON.parse(stdout)));
        } catch (parseError) {
          reject(new MediadError('MEDIAD_ERR_FFMPEG_FAILED', 'ffprobe printed invalid JSON', { cause: parseError }));
        }
      },
    );
  });
}
