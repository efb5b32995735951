/**
 * The resolver for plain http(s) media URLs: one stream, the URL itself.
 * Without an injected fetch it makes no request at all (the engine's guarded
 * client does the network work); with one, a HEAD request adds type, length
 * and the server's file name.
 */
import { createHash } from 'node:crypto';
import { MediadError } from '../errors.ts';
import { filenameFromContentDisposition } from '../engine/filename.ts';
import { omitUndefined } from './omit-undefined.ts';
import type { ResolvedMedia, Resolver } from './types.ts';

type FetchFunction = typeof globalThis.fetch;

/** Options of createDirectResolver. */
export interface DirectResolverOptions {
  /** Used for one HEAD request; pass the engine's private-network-guarded fetch. */
  readonly fetch?: FetchFunction;
}

const CONTAINER_BY_TYPE: Readonly<Record<string, string>> = {
  'video/mp4': 'mp4', 'video/webm': 'webm', 'video/x-matroska': 'mkv', 'video/quicktime': 'mov',
  'video/mp2t': 'ts', 'video/x-msvideo': 'avi', 'video/3gpp': '3gp', 'audio/mp4': 'm4a', 'audio/x-m4a': 'm4a',
  'audio/mpeg': 'mp3', 'audio/webm': 'webm', 'audio/ogg': 'ogg', 'audio/opus': 'opus', 'audio/flac': 'flac',
  'audio/wav': 'wav', 'audio/x-wav': 'wav', 'audio/aac': 'aac', 'audio/x-matroska': 'mka',
};
const VIDEO_EXTENSIONS = new Set(['mp4', 'm4v', 'mkv', 'webm', 'mov', 'ts', 'avi', '3gp']);
const AUDIO_EXTENSIONS = new Set(['m4a', 'mp3', 'ogg', 'oga', 'opus', 'flac', 'wav', 'aac', 'mka']);

/** `{ stem, extension }` of the last path segment, percent-decoded; extension lower-cased, '' when none. */
export function splitFileName(name: string): { stem: string; extension: string } {
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || dot === name.length - 1) return { stem: name, extension: '' };
  return { stem: name.slice(0, dot), extension: name.slice(dot + 1).toLowerCase() };
}

function lastSegment(url: URL): string {
  const segment = url.pathname.split('/').filter(Boolean).at(-1) ?? '';
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

interface HeadInfo {
  readonly contentType?: string | undefined;
  readonly contentLengthBytes?: number | undefined;
  readonly fileName?: string | undefined;
}

async function headUrl(fetchImpl: FetchFunction, url: string, signal: AbortSignal): Promise<HeadInfo> {
  try {
    const response = await fetchImpl(url, { method: 'HEAD', redirect: 'follow', signal });
    if (!response.ok) return {};
    const length = Number(response.headers.get('content-length') ?? NaN);
    // A compressed body's length says nothing about the file's size.
    const encoded = (response.headers.get('content-encoding') ?? 'identity') !== 'identity';
    return {
      contentType: response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase(),
      contentLengthBytes: Number.isSafeInteger(length) && length > 0 && !encoded ? length : undefined,
      fileName: filenameFromContentDisposition(response.headers.get('content-disposition')),
    };
  } catch (error) {
    if (signal.aborted) throw new MediadError('MEDIAD_ERR_CANCELED', 'Resolving was canceled', { cause: error });
    // The engine's own request will report the real network error with its proper code.
    return {};
  }
}

/** Create the direct-URL resolver. */
export function createDirectResolver(options: DirectResolverOptions = {}): Resolver {
  return {
    name: 'direct',
    canResolve: (url) => url.protocol === 'http:' || url.protocol === 'https:',
    async resolve(pageUrl, signal): Promise<ResolvedMedia> {
      const url = new URL(pageUrl);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new MediadError('MEDIAD_ERR_URL_SCHEME', `Only http and https URLs can be downloaded: ${url.protocol}`);
      }
      const head = options.fetch ? await headUrl(options.fetch, pageUrl, signal) : {};
      const name = head.fileName ?? lastSegment(url);
      const { stem, extension } = splitFileName(name);
      const byType = head.contentType === undefined ? undefined : CONTAINER_BY_TYPE[head.contentType];
      const container = VIDEO_EXTENSIONS.has(extension) || AUDIO_EXTENSIONS.has(extension) ? extension : (byType ?? (extension || 'bin'));
      const isVideo = VIDEO_EXTENSIONS.has(container) || head.contentType?.startsWith('video/') === true;
      const isAudio = !isVideo && (AUDIO_EXTENSIONS.has(container) || head.contentType?.startsWith('audio/') === true);
      return {
        resolver: 'direct',
        pageUrl,
        metadata: {
          // A stable id for the {id} template token: the same URL always names the same file.
          id: createHash('sha256').update(pageUrl).digest('hex').slice(0, 11),
          title: stem || url.hostname,
        },
        streams: [
          omitUndefined({
            id: 'direct',
            url: pageUrl,
            container,
            // A video file usually carries sound; nobody can tell without probing it.
            hasVideo: isVideo,
            hasAudio: isVideo || isAudio,
            contentLengthBytes: head.contentLengthBytes,
          }),
        ],
      };
    },
  };
}
