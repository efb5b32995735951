/**
 * Downloads the streams of a video/audio job with the engine, re-resolving
 * when a stream URL expired or the CDN answers 403/410: the same stream (by
 * itag or format id) with an unchanged length resumes from its checkpoint,
 * a changed length starts that stream again.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { MediadError } from '../errors.ts';
import { toMediadError } from '../engine/classify.ts';
import { downloadToPartial, type DownloadContext, type DownloadSettings } from '../engine/download.ts';
import { inFolder } from '../engine/partial-paths.ts';
import { findSameStream, isExpired } from '../sources/same-stream.ts';
import type { MediaStream, ResolvedMedia } from '../sources/types.ts';

export interface StreamDownloadContext {
  readonly settings: DownloadSettings;
  readonly engine: Omit<DownloadContext, 'onProgress'>;
  readonly onProgress: DownloadContext['onProgress'];
  /** Resolves the page again for fresh stream URLs. */
  readonly reResolve: () => Promise<ResolvedMedia>;
}

const maxRefreshes = 3;

/** Downloads `stream` into `dir` and returns the data path; `media` names the checkpoint so it survives new URLs. */
export async function downloadStream(dir: string, media: ResolvedMedia, initial: MediaStream, context: StreamDownloadContext): Promise<string> {
  let stream = initial;
  for (let refresh = 0; ; refresh++) {
    if (isExpired(stream, context.engine.now())) stream = await refreshStream(dir, stream, context);
    try {
      const partial = await downloadToPartial(inFolder(dir), {
        url: stream.url, checkpointKey: `${media.resolver}:${media.metadata.id}:${stream.id}`, ...(stream.headers ? { headers: stream.headers } : {}),
      }, context.settings, { ...context.engine, onProgress: context.onProgress });
      if (stream.contentLengthBytes !== undefined && partial.totalBytes !== stream.contentLengthBytes) {
        throw new MediadError('MEDIAD_ERR_SIZE_MISMATCH', `stream ${stream.id} has ${partial.totalBytes} bytes, the resolver said ${stream.contentLengthBytes}`);
      }
      return partial.dataPath;
    } catch (error) {
      const failure = toMediadError(error);
      const expiredUrl = failure.code === 'MEDIAD_ERR_HTTP_403' || failure.code === 'MEDIAD_ERR_HTTP_410';
      if (!expiredUrl || refresh >= maxRefreshes || context.engine.signal.aborted) throw failure;
      context.engine.log.warn({ code: failure.code, stream: stream.id }, 'stream URL refused; resolving again');
      stream = await refreshStream(dir, stream, context);
    }
  }
}

async function refreshStream(dir: string, stream: MediaStream, context: StreamDownloadContext): Promise<MediaStream> {
  const fresh = await context.reResolve();
  const same = findSameStream(stream, fresh.streams);
  if (!same) throw new MediadError('MEDIAD_ERR_STREAM_CHANGED', `stream ${stream.id} is no longer offered`);
  if (!same.sameLength) {
    context.engine.log.warn({ stream: stream.id, before: stream.contentLengthBytes, after: same.stream.contentLengthBytes }, 'stream length changed; downloading it again from zero');
    await rm(dir, { recursive: true, force: true });
  }
  return same.stream;
}

export function streamDir(jobDir: string, role: 'video' | 'audio' | 'muxed'): string {
  return path.join(jobDir, role);
}
