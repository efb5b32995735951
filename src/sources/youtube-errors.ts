/**
 * Map YouTube's playability verdicts (and resolver failures) onto catalog codes.
 * One classifier serves every resolver: youtubei.js hands us parsed fields,
 * ytdl-core only the reason text, yt-dlp only its ERROR line.
 */
import { MediadError, isMediadError } from '../errors.ts';

/** What YouTube says about whether a video can be played; every field optional. */
export interface Playability {
  /** playabilityStatus.status: OK, ERROR, UNPLAYABLE, LOGIN_REQUIRED, LIVE_STREAM_OFFLINE, AGE_CHECK_REQUIRED... */
  readonly status?: string | undefined;
  readonly reason?: string | undefined;
  /** errorScreen.playerErrorMessageRenderer.subreason, or yt-dlp's extra error text. */
  readonly subreason?: string | undefined;
  /** videoDetails.isLive: broadcasting right now. */
  readonly isLive?: boolean | undefined;
  /** videoDetails.isUpcoming: a scheduled premiere or stream. */
  readonly isUpcoming?: boolean | undefined;
  /** videoDetails.isLiveContent: was or is a broadcast (true for finished streams, which are plain VODs). */
  readonly isLiveContent?: boolean | undefined;
}

const AGE_STATUSES = new Set(['AGE_CHECK_REQUIRED', 'AGE_VERIFICATION_REQUIRED', 'CONTENT_CHECK_REQUIRED']);
const FAILED_STATUSES = new Set(['ERROR', 'UNPLAYABLE', 'LOGIN_REQUIRED']);

// "age" as a word, so "page" or "message" never count as an age gate.
const AGE_TEXT = /\bage\b|age[- ]restricted|inappropriate for some users/;
const MEMBERS_TEXT = /members[- ]only|join this channel|\bmembers\b/;
// YouTube's IP-based bot check is transient: retry later rather than fail the job.
const BOT_CHECK_TEXT = /not a bot/;

/**
 * The catalog error a playability verdict means, or undefined when the video can be played.
 * `isLiveContent` alone is not live: finished broadcasts are downloadable VODs.
 */
export function classifyPlayability(playability: Playability): MediadError | undefined {
  const status = playability.status?.toUpperCase();
  const text = [...new Set([playability.reason, playability.subreason].filter(Boolean))].join(' — ');
  const lower = text.toLowerCase();
  const message = text === '' ? undefined : text;

  if (playability.isLive === true || status === 'LIVE_STREAM_OFFLINE') {
    return new MediadError('MEDIAD_ERR_VIDEO_LIVE', message);
  }
  if (playability.isUpcoming === true && playability.isLiveContent === true) {
    return new MediadError('MEDIAD_ERR_VIDEO_LIVE', message ?? 'The live stream has not started yet');
  }
  if (status === 'OK' || (status === undefined && lower === '')) return undefined;

  if (BOT_CHECK_TEXT.test(lower)) return new MediadError('MEDIAD_ERR_RESOLVE_FAILED', message);
  if (lower.includes('private')) return new MediadError('MEDIAD_ERR_VIDEO_PRIVATE', message);
  if (MEMBERS_TEXT.test(lower)) return new MediadError('MEDIAD_ERR_VIDEO_MEMBERS_ONLY', message);
  if ((status !== undefined && AGE_STATUSES.has(status)) || AGE_TEXT.test(lower)) {
    return new MediadError('MEDIAD_ERR_VIDEO_AGE_RESTRICTED', message);
  }
  if (/\blive\b/.test(lower) && /(offline|will begin|premiere|scheduled)/.test(lower)) {
    return new MediadError('MEDIAD_ERR_VIDEO_LIVE', message);
  }
  if ((status !== undefined && FAILED_STATUSES.has(status)) || lower.includes('unavailable')) {
    return new MediadError('MEDIAD_ERR_VIDEO_UNAVAILABLE', message);
  }
  // A verdict we do not recognise: unknown statuses are not worth retrying blindly either.
  if (status !== undefined) return new MediadError('MEDIAD_ERR_VIDEO_UNAVAILABLE', message);
  return undefined;
}

/**
 * Turn anything a resolver caught into a MediadError: catalog errors pass through,
 * an aborted signal becomes CANCELED, everything else is a retryable RESOLVE_FAILED.
 */
export function toResolveError(error: unknown, signal: AbortSignal, what: string): MediadError {
  if (isMediadError(error)) return error;
  if (signal.aborted) return new MediadError('MEDIAD_ERR_CANCELED', `Resolving ${what} was canceled`, { cause: error });
  const detail = error instanceof Error ? error.message : String(error);
  return new MediadError('MEDIAD_ERR_RESOLVE_FAILED', `Could not resolve ${what}: ${detail}`, { cause: error });
}

/** Reject as soon as the signal aborts, for libraries that take no signal of their own. */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
