/**
 * The error catalog: every error mediad reports has a stable code, the HTTP
 * status the API answers with (where the API returns it) and whether a job
 * that meets it should be retried. Messages are for people; codes are the contract.
 */
export interface ErrorSpec {
  readonly status: number;
  readonly retryable: boolean;
  readonly message: string;
}

export const errorCatalog = {
  // request validation (API)
  MEDIAD_ERR_BAD_REQUEST: { status: 400, retryable: false, message: 'The request is malformed' },
  MEDIAD_ERR_INVALID_JSON: { status: 400, retryable: false, message: 'The request body is not valid JSON' },
  MEDIAD_ERR_VALIDATION: { status: 400, retryable: false, message: 'The request does not match the schema' },
  MEDIAD_ERR_URL_INVALID: { status: 400, retryable: false, message: 'The URL is missing or not a valid URL' },
  MEDIAD_ERR_URL_SCHEME: { status: 400, retryable: false, message: 'Only http and https URLs can be downloaded' },
  MEDIAD_ERR_URL_TOO_LONG: { status: 400, retryable: false, message: 'The URL is longer than 8 KiB' },
  MEDIAD_ERR_FILENAME_INVALID: { status: 400, retryable: false, message: 'The filename must stay inside the download folder' },
  MEDIAD_ERR_OPTION_INVALID: { status: 400, retryable: false, message: 'These job options cannot be combined' },
  MEDIAD_ERR_PRIVATE_NETWORK: { status: 400, retryable: false, message: 'The host is on a private or internal network' },
  MEDIAD_ERR_HOST_UNRESOLVABLE: { status: 400, retryable: true, message: 'The host name could not be resolved' },
  MEDIAD_ERR_NOT_FOUND: { status: 404, retryable: false, message: 'No such download' },
  MEDIAD_ERR_ROUTE_NOT_FOUND: { status: 404, retryable: false, message: 'No such route' },
  MEDIAD_ERR_NOT_CANCELABLE: { status: 409, retryable: false, message: 'The download has already ended' },
  MEDIAD_ERR_IDEMPOTENCY_CONFLICT: { status: 409, retryable: false, message: 'This Idempotency-Key was used for a different request' },
  MEDIAD_ERR_PAYLOAD_TOO_LARGE: { status: 413, retryable: false, message: 'The request body is too large' },
  MEDIAD_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, retryable: false, message: 'The request body must be application/json' },
  MEDIAD_ERR_REDIS_UNAVAILABLE: { status: 503, retryable: true, message: 'Redis is unreachable; try again shortly' },
  MEDIAD_ERR_INTERNAL: { status: 500, retryable: true, message: 'Internal error' },

  // configuration (startup)
  MEDIAD_ERR_CONFIG: { status: 500, retryable: false, message: 'Invalid configuration' },

  // origin / transfer (jobs)
  MEDIAD_ERR_HTTP_4XX: { status: 502, retryable: false, message: 'The origin refused the request' },
  MEDIAD_ERR_HTTP_403: { status: 502, retryable: false, message: 'The origin answered 403 Forbidden' },
  MEDIAD_ERR_HTTP_404: { status: 502, retryable: false, message: 'The origin answered 404 Not Found' },
  MEDIAD_ERR_HTTP_410: { status: 502, retryable: false, message: 'The origin answered 410 Gone' },
  MEDIAD_ERR_HTTP_408: { status: 502, retryable: true, message: 'The origin answered 408 Request Timeout' },
  MEDIAD_ERR_HTTP_429: { status: 502, retryable: true, message: 'The origin answered 429 Too Many Requests' },
  MEDIAD_ERR_HTTP_5XX: { status: 502, retryable: true, message: 'The origin answered with a server error' },
  MEDIAD_ERR_HTTP_UNEXPECTED: { status: 502, retryable: true, message: 'The origin answered with an unexpected status' },
  MEDIAD_ERR_TOO_MANY_REDIRECTS: { status: 502, retryable: false, message: 'The origin redirected too many times' },
  MEDIAD_ERR_NETWORK: { status: 502, retryable: true, message: 'The connection to the origin failed' },
  MEDIAD_ERR_TIMEOUT: { status: 504, retryable: true, message: 'The origin did not answer in time' },
  MEDIAD_ERR_STALLED: { status: 504, retryable: true, message: 'The transfer stalled: no bytes arrived for too long' },
  MEDIAD_ERR_SHORT_BODY: { status: 502, retryable: true, message: 'The origin sent fewer bytes than it promised' },
  MEDIAD_ERR_RANGE_MISMATCH: { status: 502, retryable: true, message: 'The origin answered a Range request with different bytes than asked' },
  MEDIAD_ERR_SIZE_MISMATCH: { status: 502, retryable: true, message: 'The downloaded size differs from Content-Length' },
  MEDIAD_ERR_CHECKSUM_MISMATCH: { status: 422, retryable: false, message: 'The downloaded file does not match the expected sha256' },

  // local storage
  MEDIAD_ERR_DISK_FULL: { status: 507, retryable: false, message: 'No space left on the download device' },
  MEDIAD_ERR_DISK_UNWRITABLE: { status: 500, retryable: false, message: 'The download folder is not writable' },
  MEDIAD_ERR_PARTIAL_LOCKED: { status: 409, retryable: true, message: 'Another process holds the partial file' },

  // job lifecycle
  MEDIAD_ERR_CANCELED: { status: 409, retryable: false, message: 'The download was canceled' },
  MEDIAD_ERR_ATTEMPTS_EXHAUSTED: { status: 502, retryable: false, message: 'The download failed after all retries' },
  MEDIAD_ERR_WORKER_LOST: { status: 500, retryable: true, message: 'The worker process running the job died' },

  // media sources and post-processing
  MEDIAD_ERR_UNSUPPORTED_URL: { status: 400, retryable: false, message: 'No resolver can open this URL' },
  MEDIAD_ERR_RESOLVE_FAILED: { status: 502, retryable: true, message: 'The page could not be resolved into media streams' },
  MEDIAD_ERR_VIDEO_UNAVAILABLE: { status: 404, retryable: false, message: 'The video is unavailable' },
  MEDIAD_ERR_VIDEO_PRIVATE: { status: 403, retryable: false, message: 'The video is private' },
  MEDIAD_ERR_VIDEO_MEMBERS_ONLY: { status: 403, retryable: false, message: 'The video is for channel members only' },
  MEDIAD_ERR_VIDEO_AGE_RESTRICTED: { status: 403, retryable: false, message: 'The video is age-restricted' },
  MEDIAD_ERR_VIDEO_LIVE: { status: 400, retryable: false, message: 'Live streams cannot be downloaded' },
  MEDIAD_ERR_NO_MATCHING_FORMAT: { status: 400, retryable: false, message: 'No stream matches the requested quality and container' },
  MEDIAD_ERR_STREAM_CHANGED: { status: 502, retryable: true, message: 'The stream changed length after re-resolving' },
  MEDIAD_ERR_FFMPEG_MISSING: { status: 500, retryable: false, message: 'ffmpeg or ffprobe is not installed' },
  MEDIAD_ERR_FFMPEG_FAILED: { status: 500, retryable: false, message: 'ffmpeg failed to process the media' },
  MEDIAD_ERR_OUTPUT_INVALID: { status: 500, retryable: false, message: 'The processed file does not have the expected streams or duration' },
  MEDIAD_ERR_YTDLP_MISSING: { status: 500, retryable: false, message: 'yt-dlp is not installed' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof errorCatalog;

/** A failure with a stable code from the catalog. */
export class MediadError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  /** Server-requested delay (Retry-After) in ms, when the origin gave one. */
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message?: string, options: { cause?: unknown; retryAfterMs?: number } = {}) {
    const spec = errorCatalog[code];
    super(message ?? spec.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MediadError';
    this.code = code;
    this.status = spec.status;
    this.retryable = spec.retryable;
    this.retryAfterMs = options.retryAfterMs;
  }

  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

export function isMediadError(value: unknown): value is MediadError {
  return value instanceof MediadError;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCatalog, value);
}
