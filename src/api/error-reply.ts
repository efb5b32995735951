/** Maps anything a route throws to `{ error: { code, message } }` with the catalog's status. */
import { MediadError, errorCatalog, type ErrorCode } from '../errors.ts';

const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'MEDIAD_ERR_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'MEDIAD_ERR_PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MEDIAD_ERR_INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MEDIAD_ERR_INVALID_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'MEDIAD_ERR_BAD_REQUEST',
};

/** ioredis failing fast (no offline queue, retries spent, timeout) means Redis is down, not that the request was bad. */
export function isRedisUnavailable(error: Error): boolean {
  return error.name === 'MaxRetriesPerRequestError'
    || /enableOfflineQueue|Connection is closed|Command timed out|ECONNREFUSED|Stream isn't writeable/i.test(error.message);
}

export function toErrorReply(error: Error & { code?: string; statusCode?: number; validation?: unknown }): { status: number; body: { error: { code: ErrorCode; message: string } } } {
  let mediad: MediadError;
  if (error instanceof MediadError) mediad = error;
  else if (error.validation) mediad = new MediadError('MEDIAD_ERR_VALIDATION', error.message);
  else if (error.code && fastifyCodes[error.code]) mediad = new MediadError(fastifyCodes[error.code] as ErrorCode, error.message);
  else if (error instanceof SyntaxError || (error.statusCode === 400 && /JSON/i.test(error.message))) mediad = new MediadError('MEDIAD_ERR_INVALID_JSON', error.message);
  else if (isRedisUnavailable(error)) mediad = new MediadError('MEDIAD_ERR_REDIS_UNAVAILABLE');
  else if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) mediad = new MediadError('MEDIAD_ERR_BAD_REQUEST', error.message);
  else mediad = new MediadError('MEDIAD_ERR_INTERNAL');
  return { status: errorCatalog[mediad.code].status, body: { error: mediad.toJSON() } };
}
