/**
 * Turn one YouTube format (the shape both youtubei.js and ytdl-core expose,
 * straight from streamingData) into a MediaStream.
 */
import { omitUndefined } from './omit-undefined.ts';
import type { MediaStream } from './types.ts';

/** The streamingData fields we read; numbers may arrive as strings. */
export interface YoutubeFormatFields {
  readonly itag: number | string;
  readonly url: string;
  readonly mimeType: string;
  readonly bitrate?: number | string | undefined;
  readonly width?: number | string | undefined;
  readonly height?: number | string | undefined;
  readonly fps?: number | string | undefined;
  readonly contentLength?: number | string | undefined;
}

/** A parsed `video/mp4; codecs="avc1.4d401e, mp4a.40.2"`. */
export interface ParsedMimeType {
  readonly type: string;
  readonly subtype: string;
  readonly codecs: readonly string[];
}

/** Split a YouTube mimeType into type, subtype and codec list; undefined when malformed. */
export function parseMimeType(mimeType: string): ParsedMimeType | undefined {
  const match = /^\s*([a-z]+)\/([a-z0-9.+-]+)\s*(?:;\s*codecs\s*=\s*"?([^"]*)"?)?/i.exec(mimeType);
  if (!match?.[1] || !match[2]) return undefined;
  const codecs = (match[3] ?? '').split(',').map((codec) => codec.trim()).filter((codec) => codec !== '');
  return { type: match[1].toLowerCase(), subtype: match[2].toLowerCase(), codecs };
}

/** Epoch ms from googlevideo's `expire` query parameter (epoch seconds), if present. */
export function readExpiryMs(url: string): number | undefined {
  try {
    const expire = new URL(url).searchParams.get('expire');
    const seconds = expire === null ? NaN : Number(expire);
    return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
  } catch {
    return undefined;
  }
}

function toNumber(value: number | string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const parsed = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(parsed) && parsed > 0 ? parsed : undefined;
}

function containerFor(mime: ParsedMimeType): string {
  if (mime.subtype === 'mp4') return mime.type === 'audio' ? 'm4a' : 'mp4';
  if (mime.subtype === '3gpp') return '3gp';
  return mime.subtype;
}

/** Map a deciphered YouTube format to a MediaStream; undefined for text tracks or unusable mimeTypes. */
export function toMediaStream(format: YoutubeFormatFields): MediaStream | undefined {
  const mime = parseMimeType(format.mimeType);
  if (!mime || (mime.type !== 'video' && mime.type !== 'audio')) return undefined;
  const hasVideo = mime.type === 'video';
  // A video mimeType with two codecs is a muxed (video+audio) format such as itag 18.
  const hasAudio = mime.type === 'audio' || mime.codecs.length > 1;
  const videoCodec = hasVideo ? mime.codecs[0] : undefined;
  const audioCodec = mime.type === 'audio' ? mime.codecs[0] : hasAudio ? mime.codecs[1] : undefined;
  return omitUndefined({
    id: String(format.itag),
    url: format.url,
    container: containerFor(mime),
    hasVideo,
    hasAudio,
    videoCodec,
    audioCodec,
    bitrateBps: toNumber(format.bitrate),
    width: hasVideo ? toNumber(format.width) : undefined,
    height: hasVideo ? toNumber(format.height) : undefined,
    fps: hasVideo ? toNumber(format.fps) : undefined,
    contentLengthBytes: toNumber(format.contentLength),
    expiresAtMs: readExpiryMs(format.url),
  });
}

/** Pick the largest thumbnail URL from a YouTube thumbnail list. */
export function pickThumbnail(thumbnails: readonly { url: string; width?: number | undefined }[] | undefined): string | undefined {
  if (!thumbnails || thumbnails.length === 0) return undefined;
  return [...thumbnails].sort((a, b) => (b.width ?? 0) - (a.width ?? 0))[0]?.url;
}

/** Keep the first stream per id: several player clients may list the same itag. */
export function dedupeStreams(streams: readonly MediaStream[]): MediaStream[] {
  const seen = new Map<string, MediaStream>();
  for (const stream of streams) {
    const existing = seen.get(stream.id);
    // Prefer a copy whose length is known: the engine needs it to resume and verify.
    if (!existing || (existing.contentLengthBytes === undefined && stream.contentLengthBytes !== undefined)) {
      seen.set(stream.id, stream);
    }
  }
  return [...seen.values()];
}
