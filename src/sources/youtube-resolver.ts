import { MediadError } from '../errors.ts';
import type { ResolvedMedia, Resolver } from './types.ts';
import { raceAbort, toResolveError } from './youtube-errors.ts';
import { isYoutubeUrl, parseYoutubeVideoId } from './youtube-url.ts';

/**
 * What every YouTube resolver shares: only single-video URLs, the work raced
 * against the job's signal, and library failures mapped to catalog codes.
 * `translate` turns a library's own error into a MediadError where it can.
 */
export function createYoutubeVideoResolver(
  name: 'youtubei' | 'ytdl-core',
  resolveVideo: (videoId: string, pageUrl: string, signal: AbortSignal) => Promise<ResolvedMedia>,
  translate: (error: unknown) => MediadError | undefined,
): Resolver {
  return {
    name,
    canResolve: (url) => isYoutubeUrl(url) && parseYoutubeVideoId(url) !== undefined,
    async resolve(pageUrl, signal) {
      const videoId = parseYoutubeVideoId(new URL(pageUrl));
      if (videoId === undefined) throw new MediadError('MEDIAD_ERR_UNSUPPORTED_URL', `Not a YouTube video URL: ${pageUrl}`);
      try {
        return await raceAbort(resolveVideo(videoId, pageUrl, signal), signal);
      } catch (error) {
        throw toResolveError(translate(error) ?? error, signal, `YouTube video ${videoId}`);
      }
    },
  };
}
