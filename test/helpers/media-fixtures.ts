/**
 * Small real media files made with ffmpeg (3 s of testsrc / a sine tone), to
 * stand in for YouTube's streams. Generated once into the OS temp dir and
 * reused by later test processes; each file is written under a temporary name
 * and renamed, so parallel test processes never see half a file.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { probeMedia } from '../../src/postprocess/ffprobe.ts';

const run = promisify(execFile);

export type FixtureName = 'video144Mp4' | 'video240Mp4' | 'video360Mp4' | 'video360Webm' | 'audioM4a' | 'audioOpusWebm' | 'muxedMp4';

export interface MediaFixture {
  readonly path: string;
  readonly sizeBytes: number;
  readonly durationSeconds: number;
  readonly sha256: string;
}

export type MediaFixtures = Readonly<Record<FixtureName, MediaFixture>>;

const SECONDS = 3;
const testsrc = (size: string): string[] => ['-f', 'lavfi', '-i', `testsrc=size=${size}:rate=25:duration=${SECONDS}`];
const sine = ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${SECONDS}`];
// Main profile, level 3.0: the codec string avc1.4d401e that the fake YouTube advertises.
const h264Main = ['-c:v', 'libx264', '-profile:v', 'main', '-level', '3.0', '-pix_fmt', 'yuv420p', '-preset', 'veryfast'];

/** ffmpeg arguments (between the global flags and the output path) for each fixture. */
const RECIPES: Readonly<Record<FixtureName, { file: string; args: string[] }>> = {
  video144Mp4: { file: 'video-144.mp4', args: [...testsrc('256x144'), ...h264Main, '-an', '-f', 'mp4'] },
  video240Mp4: { file: 'video-240.mp4', args: [...testsrc('426x240'), ...h264Main, '-an', '-f', 'mp4'] },
  video360Mp4: { file: 'video-360.mp4', args: [...testsrc('640x360'), ...h264Main, '-an', '-f', 'mp4'] },
  video360Webm: { file: 'video-360.webm', args: [...testsrc('640x360'), '-c:v', 'libvpx-vp9', '-b:v', '300k', '-deadline', 'realtime', '-cpu-used', '8', '-an', '-f', 'webm'] },
  audioM4a: { file: 'audio.m4a', args: [...sine, '-c:a', 'aac', '-b:a', '128k', '-vn', '-f', 'ipod'] },
  audioOpusWebm: { file: 'audio-opus.webm', args: [...sine, '-c:a', 'libopus', '-b:a', '96k', '-vn', '-f', 'webm'] },
  muxedMp4: {
    file: 'muxed.mp4',
    args: [...testsrc('640x360'), ...sine, '-c:v', 'libx264', '-profile:v', 'baseline', '-level', '3.0', '-pix_fmt', 'yuv420p', '-preset', 'veryfast', '-c:a', 'aac', '-b:a', '128k', '-shortest', '-f', 'mp4'],
  },
};

/** Bump when a recipe changes, so stale files from an older version are not reused. */
const FIXTURE_VERSION = 1;

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).size > 0;
  } catch {
    return false;
  }
}

async function makeFixture(dir: string, name: FixtureName, ffmpegPath: string, ffprobePath: string): Promise<MediaFixture> {
  const recipe = RECIPES[name];
  const path = join(dir, recipe.file);
  if (!(await exists(path))) {
    const temporary = `${path}.${process.pid}.tmp`;
    await run(ffmpegPath, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...recipe.args, temporary]);
    await rename(temporary, path);
  }
  const bytes = await readFile(path);
  const probe = await probeMedia(path, { ffprobePath });
  return {
    path,
    sizeBytes: bytes.length,
    durationSeconds: probe.durationSeconds ?? SECONDS,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

let cached: Promise<MediaFixtures> | undefined;

/** All fixtures, generated on first use in this process (and on disk, across processes). */
export function getMediaFixtures(ffmpegPath = 'ffmpeg', ffprobePath = 'ffprobe'): Promise<MediaFixtures> {
  cached ??= (async () => {
    const dir = join(tmpdir(), `mediad-media-fixtures-v${FIXTURE_VERSION}`);
    await mkdir(dir, { recursive: true });
    const names = Object.keys(RECIPES) as FixtureName[];
    const made = await Promise.all(names.map((name) => makeFixture(dir, name, ffmpegPath, ffprobePath)));
    return Object.fromEntries(names.map((name, index) => [name, made[index]])) as Record<FixtureName, MediaFixture>;
  })();
  return cached;
}
