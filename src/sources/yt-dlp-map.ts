/**
 * Pure mapping of `yt-dlp -J` output to ResolvedMedia. yt-dlp has already
 * deciphered the URLs; we keep the formats the engine can fetch with plain
 * Range requests (protocol http/https) and drop manifests and storyboards.
 */
import { MediadError } from '../errors.ts';
import { omitUndefined } from './omit-undefined.ts';
import type { MediaStream, ResolvedMedia } from './types.ts';
import { readExpiryMs } from './youtube-format.ts';

type Json = Readonly<Record<string, unknown>>;

const asRecord = (value: unknown): Json => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {});
const readString = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const readNumber = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined);

// live_status values for media that is (or is about to be) broadcast rather than stored.
const LIVE_STATUSES = new Set(['is_live', 'is_upcoming', 'post_live']);
const RANGE_PROTOCOLS = new Set(['http', 'https']);

/** yt-dlp reports codecs as a string, 'none' for "this format has none", or null for "unknown". */
function readCodec(value: unknown): string | 'none' | undefined {
  return readString(value);
}

function readHeaders(value: unknown): Record<string, string> | undefined {
  const entries = Object.entries(asRecord(value)).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
  return entries.length === 0 ? undefined : Object.fromEntries(entries);
}

/** Map one entry of yt-dlp's formats[]; undefined for formats the engine cannot download with Range requests. */
export function mapYtDlpFormat(raw: unknown): MediaStream | undefined {
  const format = asRecord(raw);
  const id = readString(format['format_id']);
  const url = readString(format['url']);
  const protocol = readString(format['protocol']) ?? (url?.startsWith('https:') ? 'https' : 'http');
  if (id === undefined || url === undefined || !RANGE_PROTOCOLS.has(protocol) || !/^https?:\/\//.test(url)) return undefined;
  const ext = readString(format['ext']) ?? 'bin';
  if (ext === 'mhtml') return undefined; // storyboard images
  const vcodec = readCodec(format['vcodec']);
  const acodec = readCodec(format['acodec']);
  const height = readNumber(format['height']);
  // Unknown codecs (null): trust the explicit *_ext fields, then the presence of a picture size.
  const hasVideo = vcodec !== 'none' && (vcodec !== undefined || readString(format['video_ext']) !== undefined && format['video_ext'] !== 'none' || height !== undefined);
  const hasAudio = acodec !== 'none' && (acodec !== undefined || readString(format['audio_ext']) !== undefined && format['audio_ext'] !== 'none' || !hasVideo);
  const kbps = readNumber(format['tbr']) ?? readNumber(format['abr']) ?? readNumber(format['vbr']);
  return omitUndefined({
    id,
    url,
    container: ext,
    hasVideo,
    hasAudio,
    videoCodec: hasVideo && vcodec !== 'none' ? vcodec : undefined,
    audioCodec: hasAudio && acodec !== 'none' ? acodec : undefined,
    bitrateBps: kbps === undefined ? undefined : Math.round(kbps * 1000),
    width: readNumber(format['width']),
    height,
    fps: readNumber(format['fps']),
    // Only the exact filesize: filesize_approx is an estimate and would fail the engine's length checks.
    contentLengthBytes: readNumber(format['filesize']),
    expiresAtMs: readExpiryMs(url),
    headers: readHeaders(format['http_headers']),
  });
}

/** Map `yt-dlp -J` JSON for one video; throws LIVE, UNSUPPORTED_URL (playlists) or RESOLVE_FAILED. */
export function mapYtDlpInfo(json: unknown, pageUrl: string): ResolvedMedia {
  const info = asRecord(json);
  if (info['_type'] === 'playlist') throw new MediadError('MEDIAD_ERR_UNSUPPORTED_URL', 'The URL names a playlist, not one video');
  const liveStatus = readString(info['live_status']);
  if (info['is_live'] === true || (liveStatus !== undefined && LIVE_STATUSES.has(liveStatus))) {
    throw new MediadError('MEDIAD_ERR_VIDEO_LIVE', `yt-dlp reports live_status ${liveStatus ?? 'is_live'}`);
  }
  const id = readString(info['id']);
  if (id === undefined) throw new MediadError('MEDIAD_ERR_RESOLVE_FAILED', 'yt-dlp output has no id');
  const rawFormats = Array.isArray(info['formats']) ? info['formats'] : [info];
  const streams = rawFormats.map(mapYtDlpFormat).filter((stream): stream is MediaStream => stream !== undefined);
  if (streams.length === 0) throw new MediadError('MEDIAD_ERR_RESOLVE_FAILED', `yt-dlp listed no downloadable http formats for ${id}`);
  return {
    resolver: 'yt-dlp',
    pageUrl,
    metadata: omitUndefined({
      id,
      title: readString(info['title']) ?? id,
      uploader: readString(info['uploader']) ?? readString(info['channel']),
      durationSeconds: readNumber(info['duration']),
      thumbnailUrl: readString(info['thumbnail']),
      isLive: info['is_live'] === true ? true : undefined,
    }),
    streams,
  };
}
