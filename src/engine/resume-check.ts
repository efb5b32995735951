import { headerValue, identityOf, parseContentRange, type ResourceIdentity, type ResponseHeaders } from './validators.ts';

export type ResumeDecision =
  /** The response continues our bytes exactly: append from `offset`. */
  | { readonly action: 'continue' }
  /** The resource changed or the server ignored the range: discard partial data and take this 200 body from zero. */
  | { readonly action: 'restart'; readonly reason: string }
  /** The response is unusable for this request (e.g. a 206 for other bytes): retry the request. */
  | { readonly action: 'retry'; readonly reason: string };

export interface ResumeRequest {
  /** First byte we asked for (`Range: bytes=offset-…`). */
  readonly offset: number;
  /** Last byte we asked for, inclusive, or null for open-ended. */
  readonly end: number | null;
  /** What the checkpoint recorded about the resource. */
  readonly known: ResourceIdentity;
}

/**
 * Is this response a valid continuation of our checkpoint? Only when the
 * server confirms the same resource: a 206 whose Content-Range starts at our
 * offset, whose total equals the recorded total and whose validator (strong
 * ETag, else Last-Modified) is unchanged. A 200 means the server ignored
 * Range or If-Range failed: the file changed, start from zero.
 */
export function checkResumeResponse(request: ResumeRequest, status: number, headers: ResponseHeaders): ResumeDecision {
  const seen = identityOf(status, headers);
  if (status === 200) {
    return { action: 'restart', reason: request.offset === 0 ? 'server sent the whole resource' : 'server ignored Range or If-Range failed (resource changed)' };
  }
  if (status !== 206) return { action: 'retry', reason: `unexpected status ${status}` };
  const range = parseContentRange(headerValue(headers, 'content-range'));
  if (!range) return { action: 'retry', reason: '206 without a valid Content-Range' };
  if (range.start !== request.offset) return { action: 'retry', reason: `206 starts at ${range.start}, asked for ${request.offset}` };
  if (request.end !== null && range.end > request.end) return { action: 'retry', reason: `206 ends at ${range.end}, asked up to ${request.end}` };
  if (request.known.totalBytes !== null && range.total !== request.known.totalBytes) {
    return { action: 'restart', reason: `total changed from ${request.known.totalBytes} to ${range.total}` };
  }
  if (request.known.etag !== null && seen.etag !== null && seen.etag !== request.known.etag) {
    return { action: 'restart', reason: 'ETag changed' };
  }
  if (request.known.etag === null && request.known.lastModified !== null && seen.lastModified !== null && seen.lastModified !== request.known.lastModified) {
    return { action: 'restart', reason: 'Last-Modified changed' };
  }
  return { action: 'continue' };
}

/** Can a download with this identity be resumed at all? Without a validator we cannot prove the bytes are the same resource. */
export function canResume(identity: ResourceIdentity): boolean {
  return identity.totalBytes !== null && (identity.etag !== null || identity.lastModified !== null);
}
