/** Checks a new download must pass before it is queued: bad input never reaches a worker. */
import { MediadError } from '../errors.ts';
import { isSafeRelativeFilename } from '../engine/filename.ts';
import { checkDownloadUrl } from '../engine/url-guard.ts';
import type { JobKind, JobRequest } from '../queue/job-record.ts';

export interface CreateBody {
  readonly url?: string;
  readonly kind?: JobKind;
  readonly filename?: string;
  readonly priority?: number;
  readonly sha256?: string;
  readonly [option: string]: unknown;
}

const coreFields = new Set(['url', 'kind', 'filename', 'priority', 'sha256']);
const mediaOptions: Record<JobKind, readonly string[]> = {
  file: ['connections', 'rateLimit'],
  video: ['connections', 'rateLimit', 'quality', 'container'],
  audio: ['connections', 'rateLimit', 'audioFormat', 'audioBitrate'],
};

/** Pure: turns a schema-valid body into a JobRequest, or throws the MediadError that explains what is wrong. */
export function toJobRequest(body: CreateBody, validateMediaOptions?: (kind: JobKind, options: Record<string, string | number>) => void): JobRequest {
  const problem = checkDownloadUrl(body.url);
  if (problem) throw new MediadError(problem.code, problem.message);
  if (body.filename !== undefined && !isSafeRelativeFilename(body.filename)) {
    throw new MediadError('MEDIAD_ERR_FILENAME_INVALID', 'filename must be relative, without "..", and stay inside the download folder');
  }
  const kind = body.kind ?? 'file';
  const options: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(body)) {
    if (coreFields.has(key) || value === undefined) continue;
    if (!mediaOptions[kind].includes(key)) throw new MediadError('MEDIAD_ERR_OPTION_INVALID', `option ${key} does not apply to ${kind} downloads`);
    options[key] = value as string | number;
  }
  validateMediaOptions?.(kind, options);
  return {
    url: body.url as string, kind, priority: body.priority ?? 0, options,
    ...(body.filename !== undefined ? { filename: body.filename } : {}),
    ...(body.sha256 !== undefined ? { sha256: body.sha256.toLowerCase() } : {}),
  };
}
