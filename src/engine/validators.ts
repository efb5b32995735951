/** What identifies one version of a remote resource. */
export interface ResourceIdentity {
  /** Strong ETag only; a weak one (W/"…") cannot validate byte ranges (RFC 9110 §13.1.5). */
  readonly etag: string | null;
  readonly lastModified: string | null;
  /** null when the origin did not say (chunked without Content-Range). */
  readonly totalBytes: number | null;
}

export interface ResponseHeaders {
  readonly [name: string]: string | string[] | undefined;
}

export function headerValue(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function strongEtag(value: string | undefined): string | null {
  return value && !value.startsWith('W/') ? value : null;
}

/** Parses `Content-Range: bytes a-b/total`. */
export function parseContentRange(value: string | undefined): { start: number; end: number; total: number | null } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(value?.trim() ?? '');
  if (!match) return undefined;
  return { start: Number(match[1]), end: Number(match[2]), total: match[3] === '*' ? null : Number(match[3]) };
}

/** The If-Range value for a resume: the strong ETag, else Last-Modified, else nothing (then we cannot safely resume). */
export function ifRangeFor(identity: ResourceIdentity): string | undefined {
  return identity.etag ?? identity.lastModified ?? undefined;
}

/** Reads the identity a 200 or 206 response announces. */
export function identityOf(status: number, headers: ResponseHeaders): ResourceIdentity {
  const etag = strongEtag(headerValue(headers, 'etag'));
  const lastModified = headerValue(headers, 'last-modified') ?? null;
  if (status === 206) {
    return { etag, lastModified, totalBytes: parseContentRange(headerValue(headers, 'content-range'))?.total ?? null };
  }
  const length = headerValue(headers, 'content-length');
  return { etag, lastModified, totalBytes: length !== undefined && /^\d+$/.test(length) ? Number(length) : null };
}
