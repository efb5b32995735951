/**
 * Pure decisions about which streams a job downloads, and whether a job's
 * format options make sense at all. No I/O; table-tested.
 */
import { MediadError } from '../errors.ts';
import type { MediaStream } from './types.ts';

/** Job option `container` of video jobs. */
export type VideoContainer = 'mp4' | 'mkv' | 'webm';
/** Job option `audioFormat` of audio jobs: best and m4a/opus are copied, mp3 is encoded. */
export type AudioFormat = 'best' | 'm4a' | 'opus' | 'mp3';
/** Job kinds that select formats. */
export type JobKind = 'video' | 'audio';

/** A video job: `quality` is 'best', 'worst' or a height limit like '720p'. */
export interface VideoSelection {
  readonly kind: 'video';
  readonly quality?: string | undefined;
  readonly container?: VideoContainer | undefined;
}

/** An audio job: `audioBitrate` (kbps) only applies to mp3, the one format that is encoded. */
export interface AudioSelection {
  readonly kind: 'audio';
  readonly audioFormat?: AudioFormat | undefined;
  readonly audioBitrate?: number | undefined;
}

/** What a job asks for. */
export type FormatSelection = VideoSelection | AudioSelection;

/** Which streams to download: a video and an audio stream to merge, one muxed stream, or one stream to take audio from. */
export type FormatPlan =
  | { readonly kind: 'separate'; readonly video: MediaStream; readonly audio: MediaStream }
  | { readonly kind: 'muxed'; readonly stream: MediaStream }
  | { readonly kind: 'audio'; readonly stream: MediaStream };

const VIDEO_CONTAINERS: readonly string[] = ['mp4', 'mkv', 'webm'];
const AUDIO_FORMATS: readonly string[] = ['best', 'm4a', 'opus', 'mp3'];
const QUALITY = /^(best|worst|[1-9][0-9]{1,3}p)$/;
// libmp3lame's CBR range for 44.1/48 kHz MPEG-1 Layer III.
const MIN_BITRATE_KBPS = 32;
const MAX_BITRATE_KBPS = 320;

// Codec prefixes (RFC 6381 style, as YouTube and yt-dlp report them) each container can carry without re-encoding.
const VIDEO_CODECS: Readonly<Record<'mp4' | 'webm', readonly string[]>> = {
  mp4: ['avc1', 'avc3', 'av01', 'hev1', 'hvc1', 'h264', 'h265'],
  webm: ['vp9', 'vp09', 'vp8', 'av01'],
};
const AUDIO_CODECS: Readonly<Record<'mp4' | 'webm', readonly string[]>> = {
  mp4: ['mp4a', 'aac'],
  webm: ['opus', 'vorbis'],
};

function fitsContainer(codec: string | undefined, streamContainer: string, container: VideoContainer, table: Readonly<Record<'mp4' | 'webm', readonly string[]>>): boolean {
  if (container === 'mkv') return true;
  // An unknown codec is only trusted when the stream already comes in the target container.
  if (codec === undefined) return streamContainer === container;
  const lower = codec.toLowerCase();
  return table[container].some((prefix) => lower.startsWith(prefix));
}

const byBest = (a: MediaStream, b: MediaStream): number =>
  (b.height ?? 0) - (a.height ?? 0) || (b.fps ?? 0) - (a.fps ?? 0) || (b.bitrateBps ?? 0) - (a.bitrateBps ?? 0) || a.id.localeCompare(b.id);
const byBestAudio = (a: MediaStream, b: MediaStream): number => (b.bitrateBps ?? 0) - (a.bitrateBps ?? 0) || a.id.localeCompare(b.id);

function maxHeightOf(quality: string): number {
  return quality.endsWith('p') ? Number(quality.slice(0, -1)) : Number.POSITIVE_INFINITY;
}

function pick(candidates: MediaStream[], compare: (a: MediaStream, b: MediaStream) => number, worst: boolean): MediaStream | undefined {
  const sorted = candidates.sort(compare);
  return worst ? sorted.at(-1) : sorted[0];
}

function noMatch(what: string): MediadError {
  return new MediadError('MEDIAD_ERR_NO_MATCHING_FORMAT', `No stream matches ${what}`);
}

function selectVideo(streams: readonly MediaStream[], selection: VideoSelection): FormatPlan {
  const quality = selection.quality ?? 'best';
  const container = selection.container ?? 'mp4';
  const worst = quality === 'worst';
  const maxHeight = maxHeightOf(quality);
  const videoFits = (s: MediaStream): boolean => (s.height ?? 0) <= maxHeight && fitsContainer(s.videoCodec, s.container, container, VIDEO_CODECS);
  const audioFits = (s: MediaStream): boolean => fitsContainer(s.audioCodec, s.container, container, AUDIO_CODECS);

  const video = pick(streams.filter((s) => s.hasVideo && !s.hasAudio && videoFits(s)), byBest, worst);
  const audio = pick(streams.filter((s) => s.hasAudio && !s.hasVideo && audioFits(s)), byBestAudio, worst);
  const muxed = pick(streams.filter((s) => s.hasVideo && s.hasAudio && videoFits(s) && audioFits(s)), byBest, worst);

  // A muxed stream wins only when it is strictly closer to the wish than the video-only one (rare: old uploads).
  const muxedIsCloser = muxed !== undefined && video !== undefined && (worst ? (muxed.height ?? 0) < (video.height ?? 0) : (muxed.height ?? 0) > (video.height ?? 0));
  if (video && audio && !muxedIsCloser) return { kind: 'separate', video, audio };
  if (muxed) return { kind: 'muxed', stream: muxed };
  throw noMatch(`quality ${quality} in a ${container} container`);
}

function selectAudio(streams: readonly MediaStream[], selection: AudioSelection): FormatPlan {
  const format = selection.audioFormat ?? 'best';
  // m4a and opus are copied, so the source must already be AAC or Opus; best and mp3 take anything.
  const wanted = format === 'm4a' ? AUDIO_CODECS.mp4 : format === 'opus' ? ['opus'] : undefined;
  const fits = (s: MediaStream): boolean => wanted === undefined || wanted.some((prefix) => (s.audioCodec ?? '').toLowerCase().startsWith(prefix));
  const audioOnly = streams.filter((s) => s.hasAudio && !s.hasVideo && fits(s)).sort(byBestAudio)[0];
  if (audioOnly) return { kind: 'audio', stream: audioOnly };
  // No audio-only stream: extract from the smallest muxed one that carries the right audio.
  const muxed = streams.filter((s) => s.hasAudio && s.hasVideo && fits(s)).sort((a, b) => byBestAudio(a, b) || -byBest(a, b))[0];
  if (muxed) return { kind: 'audio', stream: muxed };
  throw noMatch(`audio format ${format}`);
}

/** Choose the streams for a job. Throws MEDIAD_ERR_NO_MATCHING_FORMAT when nothing fits. */
export function selectFormats(streams: readonly MediaStream[], selection: FormatSelection): FormatPlan {
  return selection.kind === 'video' ? selectVideo(streams, selection) : selectAudio(streams, selection);
}

function invalid(message: string): MediadError {
  return new MediadError('MEDIAD_ERR_OPTION_INVALID', message);
}

/**
 * Check a job's format options before it is queued; returns the first problem
 * as MEDIAD_ERR_OPTION_INVALID, or undefined when the combination is possible.
 */
export function validateJobOptions(kind: JobKind, options: Readonly<Record<string, unknown>>): MediadError | undefined {
  const { quality, container, audioFormat, audioBitrate } = options;
  if (kind === 'video') {
    if (audioFormat !== undefined) return invalid('audioFormat applies to audio jobs only');
    if (audioBitrate !== undefined) return invalid('audioBitrate applies to audio jobs only');
    if (quality !== undefined && (typeof quality !== 'string' || !QUALITY.test(quality))) {
      return invalid(`quality must be "best", "worst" or a height like "720p", not ${JSON.stringify(quality)}`);
    }
    if (container !== undefined && (typeof container !== 'string' || !VIDEO_CONTAINERS.includes(container))) {
      return invalid(`container must be one of ${VIDEO_CONTAINERS.join(', ')}`);
    }
    return undefined;
  }
  if (container !== undefined) return invalid('container applies to video jobs only; audio jobs choose audioFormat');
  if (quality !== undefined) return invalid('quality applies to video jobs only; audio jobs choose audioFormat and audioBitrate');
  if (audioFormat !== undefined && (typeof audioFormat !== 'string' || !AUDIO_FORMATS.includes(audioFormat))) {
    return invalid(`audioFormat must be one of ${AUDIO_FORMATS.join(', ')}`);
  }
  if (audioBitrate !== undefined) {
    if (typeof audioBitrate !== 'number' || !Number.isInteger(audioBitrate) || audioBitrate < MIN_BITRATE_KBPS || audioBitrate > MAX_BITRATE_KBPS) {
      return invalid(`audioBitrate must be a whole number of kbps from ${MIN_BITRATE_KBPS} to ${MAX_BITRATE_KBPS}`);
    }
    if (audioFormat !== 'mp3') {
      return invalid(`audioBitrate needs audioFormat "mp3": ${String(audioFormat ?? 'best')} is copied without re-encoding`);
    }
  }
  return undefined;
}
