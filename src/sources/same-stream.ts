/**
 * Pure helpers for re-resolving: stream URLs expire (YouTube's last ~6 h), so
 * a resumed download re-resolves the page and must continue with the very
 * same stream, byte for byte.
 */
import type { MediaStream } from './types.ts';

/** Refresh a URL this long before it expires: a Range request must not start on a dying URL. */
export const EXPIRY_MARGIN_MS = 60_000;

/** A stream found again after re-resolving. */
export interface SameStream {
  readonly stream: MediaStream;
  /** True only when both lengths are known and equal; only then may partial bytes be kept. */
  readonly sameLength: boolean;
}

/** Find the stream with the old stream's id (itag / format_id) in a fresh resolve; undefined when it is gone. */
export function findSameStream(oldStream: MediaStream, newStreams: readonly MediaStream[]): SameStream | undefined {
  const stream = newStreams.find((candidate) => candidate.id === oldStream.id);
  if (!stream) return undefined;
  const sameLength =
    oldStream.contentLengthBytes !== undefined && stream.contentLengthBytes === oldStream.contentLengthBytes;
  return { stream, sameLength };
}

/** True when the stream's URL has expired (or will within marginMs) at nowMs; never for streams without expiry. */
export function isExpired(stream: MediaStream, nowMs: number, marginMs: number = EXPIRY_MARGIN_MS): boolean {
  return stream.expiresAtMs !== undefined && stream.expiresAtMs - marginMs <= nowMs;
}
