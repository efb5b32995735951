/**
 * Pure ffmpeg argument builders. Every command overwrites its output (-y),
 * reads no stdin (-nostdin), and reports machine-readable progress on
 * stdout (-progress pipe:1 -nostats) for runFfmpeg to parse.
 * The muxer is always named with -f, so outputs may carry a temporary suffix.
 */

import type { AudioFormat, VideoContainer } from '../sources/select-formats.ts';

export type { AudioFormat, VideoContainer };

/** Default mp3 bitrate when the job names none: transparent for most listeners. */
export const DEFAULT_MP3_BITRATE_KBPS = 192;

const VIDEO_MUXERS: Readonly<Record<VideoContainer, string>> = { mp4: 'mp4', mkv: 'matroska', webm: 'webm' };

const COMMON_HEAD = ['-hide_banner', '-nostdin', '-y'] as const;
const PROGRESS = ['-progress', 'pipe:1', '-nostats'] as const;

function muxerOptions(muxer: string): string[] {
  // faststart moves the index to the front so players can start before the download ends.
  return muxer === 'mp4' || muxer === 'ipod' ? ['-movflags', '+faststart'] : [];
}

/** Inputs of buildMergeArgs. */
export interface MergeArgsInput {
  readonly videoPath: string;
  readonly audioPath: string;
  readonly outputPath: string;
  readonly container: VideoContainer;
}

/** Mux a video-only and an audio-only file into one container without re-encoding. */
export function buildMergeArgs(input: MergeArgsInput): string[] {
  const muxer = VIDEO_MUXERS[input.container];
  return [
    ...COMMON_HEAD,
    '-i', input.videoPath,
    '-i', input.audioPath,
    '-map', '0:v:0',
    '-map', '1:a:0',
    '-c', 'copy',
    ...muxerOptions(muxer),
    '-f', muxer,
    ...PROGRESS,
    input.outputPath,
  ];
}

/** Inputs of buildRemuxArgs. */
export interface RemuxArgsInput {
  readonly inputPath: string;
  readonly outputPath: string;
  readonly container: VideoContainer;
}

/** Copy a muxed file's first video and (optional) first audio stream into another container. */
export function buildRemuxArgs(input: RemuxArgsInput): string[] {
  const muxer = VIDEO_MUXERS[input.container];
  return [
    ...COMMON_HEAD,
    '-i', input.inputPath,
    '-map', '0:v:0',
    '-map', '0:a:0?',
    '-c', 'copy',
    ...muxerOptions(muxer),
    '-f', muxer,
    ...PROGRESS,
    input.outputPath,
  ];
}

/** How an audio job's output is written: its file extension, ffmpeg muxer and codec arguments. */
export interface AudioOutputPlan {
  readonly extension: string;
  readonly muxer: string;
  readonly codecArgs: readonly string[];
}

/** Codec family of an RFC 6381 / ffprobe codec name: mp4a.40.2 → aac, opus → opus. */
export function audioCodecFamily(codec: string | undefined): string | undefined {
  if (codec === undefined) return undefined;
  const lower = codec.toLowerCase();
  // mp4a.40.34 and mp4a.6b are MPEG audio (mp3) inside MP4; every other mp4a is AAC.
  if (lower === 'mp3' || lower === 'mp4a.40.34' || lower === 'mp4a.6b' || lower === 'mp4a.69') return 'mp3';
  if (lower.startsWith('mp4a') || lower === 'aac') return 'aac';
  if (lower.startsWith('opus')) return 'opus';
  if (lower.startsWith('vorbis')) return 'vorbis';
  if (lower.startsWith('flac')) return 'flac';
  return lower;
}

const PASSTHROUGH: Readonly<Record<string, { extension: string; muxer: string }>> = {
  aac: { extension: 'm4a', muxer: 'ipod' },
  opus: { extension: 'opus', muxer: 'opus' },
  vorbis: { extension: 'ogg', muxer: 'ogg' },
  mp3: { extension: 'mp3', muxer: 'mp3' },
  flac: { extension: 'flac', muxer: 'flac' },
};

/**
 * Decide extension, muxer and codec for an audio job. Copies whenever the
 * source codec already is the requested one; mp3 is always an encode.
 */
export function planAudioOutput(audioFormat: AudioFormat, sourceCodec: string | undefined, bitrateKbps?: number): AudioOutputPlan {
  const family = audioCodecFamily(sourceCodec);
  switch (audioFormat) {
    case 'mp3':
      return { extension: 'mp3', muxer: 'mp3', codecArgs: ['-c:a', 'libmp3lame', '-b:a', `${bitrateKbps ?? DEFAULT_MP3_BITRATE_KBPS}k`] };
    case 'm4a':
      return { extension: 'm4a', muxer: 'ipod', codecArgs: family === 'aac' ? ['-c:a', 'copy'] : ['-c:a', 'aac', '-b:a', '192k'] };
    case 'opus':
      return { extension: 'opus', muxer: 'opus', codecArgs: family === 'opus' ? ['-c:a', 'copy'] : ['-c:a', 'libopus', '-b:a', '160k'] };
    case 'best': {
      const known = family === undefined ? undefined : PASSTHROUGH[family];
      // An unknown codec still copies losslessly into Matroska audio.
      return known ? { ...known, codecArgs: ['-c:a', 'copy'] } : { extension: 'mka', muxer: 'matroska', codecArgs: ['-c:a', 'copy'] };
    }
  }
}

/** Inputs of buildAudioArgs. */
export interface AudioArgsInput {
  readonly inputPath: string;
  readonly outputPath: string;
  readonly audioFormat: AudioFormat;
  /** Codec of the downloaded audio (MediaStream.audioCodec), to decide copy versus encode. */
  readonly sourceCodec?: string | undefined;
  /** mp3 only: the other formats are copied, so a bitrate cannot apply. */
  readonly bitrateKbps?: number | undefined;
}

/** Extract (and if needed convert) the first audio stream of a file; any video is dropped. */
export function buildAudioArgs(input: AudioArgsInput): string[] {
  const plan = planAudioOutput(input.audioFormat, input.sourceCodec, input.bitrateKbps);
  return [
    ...COMMON_HEAD,
    '-i', input.inputPath,
    '-map', '0:a:0',
    '-vn',
    ...plan.codecArgs,
    ...muxerOptions(plan.muxer),
    '-f', plan.muxer,
    ...PROGRESS,
    input.outputPath,
  ];
}
