/** The job as mediad stores it in Redis and shows it in the API. BullMQ only carries `{ id }`. */
import type { ErrorCode } from '../errors.ts';

export type JobKind = 'file' | 'video' | 'audio';
export type JobState = 'queued' | 'active' | 'completed' | 'failed' | 'canceled';
export const jobStates: readonly JobState[] = ['queued', 'active', 'completed', 'failed', 'canceled'];
export const terminalStates: ReadonlySet<JobState> = new Set(['completed', 'failed', 'canceled']);

export interface JobRequest {
  readonly url: string;
  readonly kind: JobKind;
  readonly filename?: string;
  readonly priority: number;
  readonly sha256?: string;
  /** Kind-specific options (quality, container, audioFormat, audioBitrate, connections, rateLimit). */
  readonly options: Readonly<Record<string, string | number>>;
}

export type ProgressStage = 'queued' | 'resolving' | 'downloading' | 'downloading-video' | 'downloading-audio' | 'merging' | 'converting' | 'verifying' | 'done';

export interface Progress {
  readonly stage: ProgressStage;
  readonly downloadedBytes: number;
  readonly totalBytes: number | null;
  readonly bytesPerSecond: number;
  readonly etaSeconds: number | null;
  /** ffmpeg stages report percent instead of bytes. */
  readonly percent?: number;
}

export interface JobError {
  readonly code: ErrorCode;
  readonly message: string;
}

export interface FileInfo {
  readonly path: string;
  readonly name: string;
  readonly size: number;
  /** Only when the daemon hashes files (`hashFiles`) or the job asked for a checksum. */
  readonly sha256: string | null;
}

export interface JobRecord {
  readonly id: string;
  readonly seq: number;
  readonly request: JobRequest;
  readonly state: JobState;
  readonly progress: Progress;
  readonly attempts: number;
  readonly error: JobError | null;
  readonly file: FileInfo | null;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly cancelRequestedAt: string | null;
}

/** What GET /v1/downloads/:id answers. */
export interface JobView {
  readonly id: string;
  readonly url: string;
  readonly kind: JobKind;
  readonly filename: string | null;
  readonly priority: number;
  readonly options: Readonly<Record<string, string | number>>;
  readonly state: JobState;
  readonly progress: Progress;
  readonly attempts: number;
  readonly error: JobError | null;
  readonly file: FileInfo | null;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
}

export const initialProgress: Progress = { stage: 'queued', downloadedBytes: 0, totalBytes: null, bytesPerSecond: 0, etaSeconds: null };

export function toView(record: JobRecord): JobView {
  return {
    id: record.id, url: record.request.url, kind: record.request.kind, filename: record.request.filename ?? null,
    priority: record.request.priority, options: record.request.options, state: record.state, progress: record.progress,
    attempts: record.attempts, error: record.error, file: record.file, createdAt: record.createdAt,
    startedAt: record.startedAt, finishedAt: record.finishedAt,
  };
}

/** Redis hash fields ↔ record. Nested values are JSON strings; absent means null. */
export function encodeRecord(record: Partial<JobRecord>): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined) continue;
    fields[key] = value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return fields;
}

export function decodeRecord(fields: Record<string, string>): JobRecord | undefined {
  if (!fields.id || !fields.request) return undefined;
  const json = <T>(text: string | undefined, fallback: T): T => (text ? (JSON.parse(text) as T) : fallback);
  const text = (value: string | undefined) => (value ? value : null);
  return {
    id: fields.id, seq: Number(fields.seq), request: json(fields.request, {} as JobRequest), state: (fields.state ?? 'queued') as JobState,
    progress: json(fields.progress, initialProgress), attempts: Number(fields.attempts ?? 0), error: json(fields.error, null),
    file: json(fields.file, null), createdAt: fields.createdAt ?? '', startedAt: text(fields.startedAt), finishedAt: text(fields.finishedAt),
    cancelRequestedAt: text(fields.cancelRequestedAt),
  };
}
