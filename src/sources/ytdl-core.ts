/**
 * The ytdl-core resolver (@distube/ytdl-core): the watch page for metadata
 * and playability, then the innertube player API of several clients for
 * formats, deciphered with the player script. The network seam is the
 * `agent` ({ dispatcher, jar }); tests pass an undici MockAgent as dispatcher.
 */
import ytdl from '@distube/ytdl-core';
import { MediadError } from '../errors.ts';
import { omitUndefined } from './omit-undefined.ts';
import type { MediaStream, ResolvedMedia, Resolver } from './types.ts';
import { classifyPlayability } from './youtube-errors.ts';
import { createYoutubeVideoResolver } from './youtube-resolver.ts';
import { dedupeStreams, pickThumbnail, toMediaStream } from './youtube-format.ts';

type PlayerClient = NonNullable<ytdl.getInfoOptions['playerClients']>[number];

/** Options of createYtdlCoreResolver. */
export interface YtdlCoreResolverOptions {
  /** Cookie jar and undici dispatcher for every request; default `ytdl.createAgent()`. */
  readonly agent?: ytdl.Agent;
  /** Innertube clients to ask for formats; default the library's WEB_EMBEDDED, IOS, ANDROID, TV. */
  readonly playerClients?: readonly PlayerClient[];
}

/** The raw watch-page player response fields we read (ytdl-core's typings cover only part of it). */
interface RawPlayerResponse {
  readonly playabilityStatus?: { readonly status?: string; readonly reason?: string };
  readonly videoDetails?: {
    readonly videoId?: string;
    readonly title?: string;
    readonly author?: string;
    readonly lengthSeconds?: string;
    readonly isLive?: boolean;
    readonly isUpcoming?: boolean;
    readonly isLiveContent?: boolean;
    readonly thumbnail?: { readonly thumbnails?: readonly { url: string; width?: number }[] };
  };
}

/**
 * Stop ytdl-core's side effects: a GitHub update check on every getInfo
 * (lib/utils.js checkForUpdates, which ignores our dispatcher) and debug dumps
 * of the player script into the working directory (lib/utils.js saveDebugFile).
 * Environment variables are the library's only switches for both.
 */
export function silenceYtdlCore(): void {
  process.env['YTDL_NO_UPDATE'] ??= '1';
  process.env['YTDL_NO_DEBUG_FILE'] ??= '1';
}

/** ytdl-core rejects unplayable videos with its private UnrecoverableError(reason); the class is not exported. */
function fromYtdlError(error: unknown): MediadError | undefined {
  if (!(error instanceof Error) || error.constructor.name !== 'UnrecoverableError') return undefined;
  return classifyPlayability({ reason: error.message }) ?? new MediadError('MEDIAD_ERR_VIDEO_UNAVAILABLE', error.message);
}

/** Create the ytdl-core resolver. */
export function createYtdlCoreResolver(options: YtdlCoreResolverOptions = {}): Resolver {
  silenceYtdlCore();
  const agent = options.agent ?? ytdl.createAgent();

  return createYoutubeVideoResolver('ytdl-core', resolveVideo, fromYtdlError);


  async function resolveVideo(videoId: string, pageUrl: string, signal: AbortSignal): Promise<ResolvedMedia> {
    const watchUrl = `https://www.youtube.com/watch?v=${videoId}`;
    const infoOptions: ytdl.getInfoOptions = {
      agent,
      requestOptions: { signal },
      ...(options.playerClients ? { playerClients: [...options.playerClients] } : {}),
    };
    // Basic info first: playability and live state are known before any player script is fetched.
    const basic = await ytdl.getBasicInfo(watchUrl, infoOptions);
    const response = basic.player_response as unknown as RawPlayerResponse;
    const details = response.videoDetails ?? {};
    const verdict = classifyPlayability({
      status: response.playabilityStatus?.status,
      reason: response.playabilityStatus?.reason,
      isLive: details.isLive,
      isUpcoming: details.isUpcoming,
      isLiveContent: details.isLiveContent,
    });
    if (verdict) throw verdict;

    const info = await ytdl.getInfo(watchUrl, infoOptions);
    const streams = info.formats
      .filter((format) => !format.isHLS && !format.isDashMPD && typeof format.mimeType === 'string')
      .map((format) => toMediaStream({ ...format, mimeType: format.mimeType ?? '' }))
      .filter((stream): stream is MediaStream => stream !== undefined);
    if (streams.length === 0) throw new MediadError('MEDIAD_ERR_RESOLVE_FAILED', `ytdl-core found no streams for ${videoId}`);
    const durationSeconds = Number(details.lengthSeconds);
    return {
      resolver: 'ytdl-core',
      pageUrl,
      metadata: omitUndefined({
        id: details.videoId ?? videoId,
        title: details.title ?? videoId,
        uploader: details.author,
        durationSeconds: Number.isFinite(durationSeconds) && durationSeconds > 0 ? durationSeconds : undefined,
        thumbnailUrl: pickThumbnail(details.thumbnail?.thumbnails),
        isLive: details.isLive,
      }),
      streams: dedupeStreams(streams),
    };
  }
}
