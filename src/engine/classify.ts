import { MediadError, type ErrorCode } from '../errors.ts';

/** Which catalog code an unexpected HTTP status maps to (404/410 fatal, 408/429/5xx retryable). */
export function codeForStatus(status: number): ErrorCode {
  if (status === 403) return 'MEDIAD_ERR_HTTP_403';
  if (status === 404) return 'MEDIAD_ERR_HTTP_404';
  if (status === 410) return 'MEDIAD_ERR_HTTP_410';
  if (status === 408) return 'MEDIAD_ERR_HTTP_408';
  if (status === 429) return 'MEDIAD_ERR_HTTP_429';
  if (status >= 500 && status <= 599) return 'MEDIAD_ERR_HTTP_5XX';
  if (status >= 400 && status <= 499) return 'MEDIAD_ERR_HTTP_4XX';
  return 'MEDIAD_ERR_HTTP_UNEXPECTED';
}

const networkCodes: Record<string, ErrorCode> = {
  UND_ERR_CONNECT_TIMEOUT: 'MEDIAD_ERR_TIMEOUT',
  UND_ERR_HEADERS_TIMEOUT: 'MEDIAD_ERR_TIMEOUT',
  UND_ERR_BODY_TIMEOUT: 'MEDIAD_ERR_STALLED',
  ETIMEDOUT: 'MEDIAD_ERR_TIMEOUT',
  ENOTFOUND: 'MEDIAD_ERR_HOST_UNRESOLVABLE',
  EAI_AGAIN: 'MEDIAD_ERR_HOST_UNRESOLVABLE',
  ENOSPC: 'MEDIAD_ERR_DISK_FULL',
  EDQUOT: 'MEDIAD_ERR_DISK_FULL',
  EACCES: 'MEDIAD_ERR_DISK_UNWRITABLE',
  EPERM: 'MEDIAD_ERR_DISK_UNWRITABLE',
  EROFS: 'MEDIAD_ERR_DISK_UNWRITABLE',
};

/** Turns anything thrown during a transfer into a MediadError; unknown socket errors count as retryable network errors. */
export function toMediadError(error: unknown): MediadError {
  if (error instanceof MediadError) return error;
  const code = findErrorCode(error);
  const mapped = code ? networkCodes[code] : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return new MediadError(mapped ?? 'MEDIAD_ERR_NETWORK', `${mapped ? '' : 'network error: '}${message}${code ? ` (${code})` : ''}`, { cause: error });
}

function findErrorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && networkCodes[code]) return code;
    current = (current as { cause?: unknown }).cause;
  }
  const top = (error as { code?: unknown } | null)?.code;
  return typeof top === 'string' ? top : undefined;
}
