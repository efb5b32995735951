/**
 * The default YouTube resolver, built on youtubei.js (InnerTube).
 * Each resolve makes a fresh local session over the injected `fetch`
 * (so the caller's AbortSignal reaches every request), reuses the parsed
 * player script from memory, asks /youtubei/v1/player, and deciphers every
 * stream URL with the player through the sandboxed evaluator.
 */
import { Innertube, YTNodes } from 'youtubei.js';
import type { Types } from 'youtubei.js';
import { MediadError } from '../errors.ts';
import { installPlayerEvaluator } from './js-evaluator.ts';
import { omitUndefined } from './omit-undefined.ts';
import type { MediaStream, ResolvedMedia, Resolver } from './types.ts';
import { classifyPlayability } from './youtube-errors.ts';
import { createYoutubeVideoResolver } from './youtube-resolver.ts';
import { dedupeStreams, pickThumbnail, toMediaStream } from './youtube-format.ts';

type FetchFunction = typeof globalThis.fetch;

/** Options of createYoutubeiResolver. */
export interface YoutubeiResolverOptions {
  /** The network seam: tests pass a fake, production the global fetch. */
  readonly fetch?: FetchFunction;
  /** InnerTube client for /player (youtubei.js default: WEB). */
  readonly client?: Types.InnerTubeClient;
  /** Budget for one player-script evaluation. */
  readonly evalTimeoutMs?: number;
}

/** youtubei.js's cache interface kept in memory: it only holds the parsed player script, keyed by player id. */
export function createMemoryCache(): Types.ICache {
  const entries = new Map<string, ArrayBuffer>();
  return {
    cache_dir: '',
    get: async (key) => entries.get(key),
    set: async (key, value) => void entries.set(key, value),
    remove: async (key) => void entries.delete(key),
  };
}

/** Create the youtubei.js resolver. */
export function createYoutubeiResolver(options: YoutubeiResolverOptions = {}): Resolver {
  const baseFetch = options.fetch ?? globalThis.fetch;
  const playerCache = createMemoryCache();
  installPlayerEvaluator(options.evalTimeoutMs);

  return createYoutubeVideoResolver('youtubei', resolveVideo, fromInnertubeError);


  async function resolveVideo(videoId: string, pageUrl: string, signal: AbortSignal): Promise<ResolvedMedia> {
    const fetchWithSignal: FetchFunction = (input, init) => baseFetch(input, { ...init, signal });
    const innertube = await Innertube.create({
      fetch: fetchWithSignal,
      cache: playerCache,
      retrieve_player: true,
      generate_session_locally: true,
      // /v1/config is not needed for /player (a request saved per resolve).
      retrieve_innertube_config: false,
      // Local sessions cost nothing to make; only the parsed player is worth caching.
      enable_session_cache: false,
    });
    const info = await innertube.getBasicInfo(videoId, options.client === undefined ? {} : { client: options.client });
    const details = info.basic_info;
    const status = info.playability_status;
    const verdict = classifyPlayability({
      status: status?.status,
      reason: status?.reason,
      subreason: readSubreason(status?.error_screen),
      isLive: details.is_live,
      isUpcoming: details.is_upcoming,
      isLiveContent: details.is_live_content,
    });
    if (verdict) throw verdict;
    const formats = [...(info.streaming_data?.formats ?? []), ...(info.streaming_data?.adaptive_formats ?? [])];
    const streams: MediaStream[] = [];
    for (const format of formats) {
      // SABR-only formats carry no URL at all: they cannot be fetched with Range requests.
      if (!format.url && !format.signature_cipher && !format.cipher) continue;
      const url = await format.decipher(innertube.session.player);
      const stream = toMediaStream({
        itag: format.itag,
        url,
        mimeType: format.mime_type,
        bitrate: format.bitrate,
        width: format.width,
        height: format.height,
        fps: format.fps,
        contentLength: format.content_length,
      });
      if (stream) streams.push(stream);
    }
    if (streams.length === 0) throw new MediadError('MEDIAD_ERR_RESOLVE_FAILED', `YouTube listed no streams for ${videoId}`);
    return {
      resolver: 'youtubei',
      pageUrl,
      metadata: omitUndefined({
        id: details.id ?? videoId,
        title: details.title ?? videoId,
        uploader: details.author,
        durationSeconds: Number.isFinite(details.duration) ? details.duration : undefined,
        thumbnailUrl: pickThumbnail(details.thumbnail),
        isLive: details.is_live,
      }),
      streams: dedupeStreams(streams),
    };
  }
}

function readSubreason(errorScreen: unknown): string | undefined {
  if (errorScreen instanceof YTNodes.PlayerErrorMessage) {
    const text = errorScreen.subreason.toString();
    return text === 'N/A' || text === '' ? undefined : text;
  }
  return undefined;
}

/** MediaInfo throws InnertubeError('This video is unavailable', playability_status) for status ERROR. */
function fromInnertubeError(error: unknown): MediadError | undefined {
  if (!(error instanceof Error) || !('info' in error)) return undefined;
  const info = error.info as { status?: unknown; reason?: unknown; error_screen?: unknown } | undefined;
  if (typeof info?.status !== 'string') return undefined;
  return classifyPlayability({
    status: info.status,
    reason: typeof info.reason === 'string' ? info.reason : error.message,
    subreason: readSubreason(info.error_screen),
  });
}
