/**
 * Runs a `video` or `audio` job: resolve the page, pick streams, download
 * each with the engine (checkpointed, resumable, re-resolving expired URLs),
 * then mux or convert with ffmpeg, check the result with ffprobe and move it
 * into the download folder under the output template's name.
 */
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { MediadError } from '../errors.ts';
import { toMediadError } from '../engine/classify.ts';
import { chooseFilename } from '../engine/filename.ts';
import { doneMarkerFile, finalizeDownload, readRecordedFinish } from '../engine/finalize.ts';
import { inFolder, partialJobDir } from '../engine/partial-paths.ts';
import { buildAudioArgs, buildMergeArgs, buildRemuxArgs, planAudioOutput } from '../postprocess/ffmpeg-args.ts';
import { runFfmpeg } from '../postprocess/ffmpeg.ts';
import { probeMedia } from '../postprocess/ffprobe.ts';
import { renderOutputName } from '../postprocess/output-name.ts';
import { verifyOutput } from '../postprocess/verify-output.ts';
import { selectFormats, type AudioFormat, type FormatPlan, type FormatSelection, type VideoContainer } from '../sources/select-formats.ts';
import type { ResolvedMedia } from '../sources/types.ts';
import type { JobRecord } from '../queue/job-record.ts';
import { downloadStream, streamDir, type StreamDownloadContext } from './media-streams.ts';
import { done, failed, stopReasonOf, stopped, type JobOutcome } from './outcome.ts';
import type { JobRunContext } from './run-file-job.ts';

export interface MediaJobContext extends JobRunContext {
  readonly resolve: (url: string, signal: AbortSignal) => Promise<ResolvedMedia>;
  readonly ffmpegPath: string;
  readonly ffprobePath: string;
  readonly outputTemplate: string;
}

function selectionOf(record: JobRecord): FormatSelection {
  const options = record.request.options;
  return record.request.kind === 'video'
    ? { kind: 'video', quality: options.quality as string | undefined, container: options.container as VideoContainer | undefined }
    : { kind: 'audio', audioFormat: options.audioFormat as AudioFormat | undefined, audioBitrate: options.audioBitrate as number | undefined };
}

export async function runMediaJob(record: JobRecord, context: MediaJobContext): Promise<JobOutcome> {
  const jobDir = partialJobDir(context.downloadDir, record.id);
  try {
    const recorded = await readRecordedFinish(inFolder(jobDir));
    if (recorded) return done(recorded);
    context.progress.stage('resolving');
    const media = await context.resolve(record.request.url, context.signal);
    if (media.metadata.isLive) throw new MediadError('MEDIAD_ERR_VIDEO_LIVE', `${media.metadata.title} is a live stream`);
    const selection = selectionOf(record);
    const plan = selectFormats(media.streams, selection);
    context.log.info({ plan: describePlan(plan), resolver: media.resolver, mediaId: media.metadata.id }, 'formats chosen');
    const streams: StreamDownloadContext = {
      settings: context.settings,
      engine: { http: context.http, signal: context.signal, log: context.log, now: context.now, ...(context.throttle ? { throttle: context.throttle } : {}) },
      onProgress: (downloaded, total) => context.progress.bytes(downloaded, total),
      reResolve: () => context.resolve(record.request.url, context.signal),
    };
    const output = await downloadAndProcess(jobDir, media, plan, selection, streams, context);
    context.progress.stage('verifying');
    const probe = await probeMedia(output.path, { ffprobePath: context.ffprobePath, signal: context.signal });
    const problem = verifyOutput(probe, { video: selection.kind === 'video', audio: true, durationSeconds: media.metadata.durationSeconds });
    if (problem) throw problem;
    const filename = record.request.filename
      ? chooseFilename({ requested: record.request.filename, url: record.request.url })
      : renderOutputName(context.outputTemplate, { title: media.metadata.title, id: media.metadata.id, ext: output.extension, uploader: media.metadata.uploader });
    const file = await finalizeDownload({
      recordFinish: doneMarkerFile(inFolder(jobDir)), dataPath: output.path, downloadDir: context.downloadDir, filename,
      expectedBytes: (await stat(output.path)).size, expectedSha256: record.request.sha256, hash: context.hashFiles,
    });
    return done(file); // the folder goes once the record says completed (createProcessor's cleanUp)
  } catch (error) {
    const reason = stopReasonOf(context.signal);
    if (reason === 'canceled') await rm(jobDir, { recursive: true, force: true });
    if (reason) return stopped(reason);
    return failed(toMediadError(error));
  }
}

async function downloadAndProcess(
  jobDir: string, media: ResolvedMedia, plan: FormatPlan, selection: FormatSelection, streams: StreamDownloadContext, context: MediaJobContext,
): Promise<{ path: string; extension: string }> {
  const ffmpeg = (args: string[]) => runFfmpeg({
    ffmpegPath: context.ffmpegPath, args, durationSeconds: media.metadata.durationSeconds, signal: context.signal,
    onProgress: (percent) => context.progress.percent(percent),
  });
  if (plan.kind === 'separate' && selection.kind === 'video') {
    context.progress.stage('downloading-video');
    const videoPath = await downloadStream(streamDir(jobDir, 'video'), media, plan.video, streams);
    context.progress.stage('downloading-audio');
    const audioPath = await downloadStream(streamDir(jobDir, 'audio'), media, plan.audio, streams);
    const container = selection.container ?? 'mp4';
    const outputPath = path.join(jobDir, `output.${container}`);
    context.progress.stage('merging');
    await ffmpeg(buildMergeArgs({ videoPath, audioPath, outputPath, container }));
    return { path: outputPath, extension: container };
  }
  const stream = plan.kind === 'separate' ? plan.video : plan.stream;
  context.progress.stage(selection.kind === 'audio' ? 'downloading-audio' : 'downloading-video');
  const inputPath = await downloadStream(streamDir(jobDir, selection.kind === 'audio' ? 'audio' : 'muxed'), media, stream, streams);
  if (selection.kind === 'audio') {
    const audioFormat = selection.audioFormat ?? 'best';
    const { extension } = planAudioOutput(audioFormat, stream.audioCodec, selection.audioBitrate);
    const outputPath = path.join(jobDir, `output.${extension}`);
    context.progress.stage('converting');
    await ffmpeg(buildAudioArgs({ inputPath, outputPath, audioFormat, sourceCodec: stream.audioCodec, bitrateKbps: selection.audioBitrate }));
    return { path: outputPath, extension };
  }
  const container = selection.container ?? (stream.container === 'webm' || stream.container === 'mkv' ? stream.container : 'mp4');
  const outputPath = path.join(jobDir, `output.${container}`);
  context.progress.stage('converting');
  await ffmpeg(buildRemuxArgs({ inputPath, outputPath, container: container as VideoContainer }));
  return { path: outputPath, extension: container };
}

function describePlan(plan: FormatPlan): string {
  return plan.kind === 'separate' ? `video ${plan.video.id} + audio ${plan.audio.id}` : `${plan.kind} ${plan.stream.id}`;
}
