/**
 * What a resolver hands the engine: metadata and concrete stream URLs.
 * Resolvers never download media themselves; the engine does, with
 * resumable, checkpointed Range requests.
 */
export interface MediaStream {
  /** Stable id to find the same stream after re-resolving: the itag on YouTube, format_id for yt-dlp. */
  readonly id: string;
  readonly url: string;
  /** Container family: mp4, webm, m4a, mp3, ... */
  readonly container: string;
  readonly hasVideo: boolean;
  readonly hasAudio: boolean;
  readonly videoCodec?: string;
  readonly audioCodec?: string;
  readonly bitrateBps?: number;
  readonly width?: number;
  readonly height?: number;
  readonly fps?: number;
  readonly contentLengthBytes?: number;
  /** Epoch ms after which the URL is no longer valid (YouTube's `expire` param). */
  readonly expiresAtMs?: number;
  /** Extra headers the CDN needs (yt-dlp's http_headers). */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface MediaMetadata {
  readonly id: string;
  readonly title: string;
  readonly uploader?: string;
  readonly durationSeconds?: number;
  readonly thumbnailUrl?: string;
  readonly isLive?: boolean;
}

export interface ResolvedMedia {
  readonly resolver: ResolverName;
  readonly pageUrl: string;
  readonly metadata: MediaMetadata;
  readonly streams: readonly MediaStream[];
}

export type ResolverName = 'youtubei' | 'ytdl-core' | 'yt-dlp' | 'direct';

export interface Resolver {
  readonly name: ResolverName;
  canResolve(url: URL): boolean;
  /** Throws MediadError (see src/errors.ts) with a stable code on failure. */
  resolve(url: string, signal: AbortSignal): Promise<ResolvedMedia>;
}
