/**
 * Pick the resolver for a URL: YouTube video URLs go to the configured
 * YouTube resolver (config `youtube.resolver`), every other http(s) URL is
 * downloaded directly.
 */
import { MediadError } from '../errors.ts';
import { createDirectResolver } from './direct.ts';
import type { Resolver, ResolverName } from './types.ts';
import { createYoutubeiResolver } from './youtubei.ts';
import { createYtdlCoreResolver } from './ytdl-core.ts';
import { createYtDlpResolver } from './yt-dlp.ts';
import { isYoutubeUrl, parseYoutubeVideoId } from './youtube-url.ts';

/** Config `youtube.resolver`: which library resolves YouTube URLs. */
export type YoutubeResolverName = Exclude<ResolverName, 'direct'>;

/** Every valid `youtube.resolver` value, for the config schema. */
export const YOUTUBE_RESOLVER_NAMES: readonly YoutubeResolverName[] = ['youtubei', 'ytdl-core', 'yt-dlp'];

/** The config this module reads. */
export interface SourcesConfig {
  readonly youtube: { readonly resolver: YoutubeResolverName };
  readonly ytDlp: { readonly path?: string | undefined; readonly timeoutMs?: number | undefined };
}

/** Network seams: production passes nothing (or a guarded fetch for direct HEADs); tests pass fakes. */
export interface SourcesDependencies {
  readonly youtubeFetch?: typeof globalThis.fetch;
  readonly directFetch?: typeof globalThis.fetch;
}

/** Build the configured YouTube resolver plus the direct one. */
export function createResolvers(config: SourcesConfig, deps: SourcesDependencies = {}): Resolver[] {
  const youtube = ((): Resolver => {
    switch (config.youtube.resolver) {
      case 'youtubei':
        return createYoutubeiResolver(deps.youtubeFetch ? { fetch: deps.youtubeFetch } : {});
      case 'ytdl-core':
        return createYtdlCoreResolver();
      case 'yt-dlp':
        return createYtDlpResolver({ executablePath: config.ytDlp.path, timeoutMs: config.ytDlp.timeoutMs });
    }
  })();
  return [youtube, createDirectResolver(deps.directFetch ? { fetch: deps.directFetch } : {})];
}

/**
 * The resolver for `url`. YouTube URLs that name a video go to `youtubeResolver`;
 * YouTube URLs that name none (channels, playlists) are UNSUPPORTED_URL rather
 * than a download of an HTML page; anything else http(s) goes to direct.
 */
export function pickResolver(url: URL, youtubeResolver: YoutubeResolverName, resolvers: readonly Resolver[]): Resolver {
  if (isYoutubeUrl(url)) {
    if (parseYoutubeVideoId(url) === undefined) {
      throw new MediadError('MEDIAD_ERR_UNSUPPORTED_URL', `This YouTube URL names no single video: ${url.href}`);
    }
    const resolver = resolvers.find((candidate) => candidate.name === youtubeResolver);
    if (!resolver) throw new MediadError('MEDIAD_ERR_CONFIG', `YouTube resolver "${youtubeResolver}" was not created`);
    return resolver;
  }
  const direct = resolvers.find((candidate) => candidate.name === 'direct' && candidate.canResolve(url));
  if (!direct) throw new MediadError('MEDIAD_ERR_UNSUPPORTED_URL', `No resolver can open ${url.protocol} URLs`);
  return direct;
}
