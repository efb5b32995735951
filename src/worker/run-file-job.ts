/** Runs a `file` job: download with the engine, verify, move into the download folder. */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { toMediadError } from '../engine/classify.ts';
import { downloadToPartial, type DownloadContext, type DownloadSettings } from '../engine/download.ts';
import { chooseFilename } from '../engine/filename.ts';
import { finalizeDownload, readRecordedFinish } from '../engine/finalize.ts';
import type { HttpClient } from '../engine/http-client.ts';
import { partialJobDir } from '../engine/partial-paths.ts';
import type { JobRecord } from '../queue/job-record.ts';
import { done, failed, stopReasonOf, stopped, type JobOutcome } from './outcome.ts';
import type { ProgressReporter } from './progress-reporter.ts';

export interface JobRunContext {
  readonly http: HttpClient;
  readonly settings: DownloadSettings;
  readonly downloadDir: string;
  readonly signal: AbortSignal;
  readonly log: DownloadContext['log'];
  readonly now: () => number;
  readonly progress: ProgressReporter;
  readonly throttle?: DownloadContext['throttle'];
  /** Record every finished file's sha256 (config `hashFiles`). */
  readonly hashFiles: boolean;
}

export async function runFileJob(record: JobRecord, context: JobRunContext): Promise<JobOutcome> {
  const jobDir = partialJobDir(context.downloadDir, record.id);
  const streamDir = fileStreamDir(jobDir);
  try {
    const recorded = await readRecordedFinish(streamDir);
    if (recorded) return done(recorded);
    context.progress.stage('downloading');
    const partial = await downloadToPartial(streamDir, { url: record.request.url }, withJobOptions(context.settings, record), {
      http: context.http, signal: context.signal, log: context.log, now: context.now,
      onProgress: (downloaded, total) => context.progress.bytes(downloaded, total),
      ...(context.throttle ? { throttle: context.throttle } : {}),
    });
    context.progress.stage('verifying');
    const filename = chooseFilename({ requested: record.request.filename, contentDisposition: partial.contentDisposition ?? undefined, url: partial.resolvedUrl });
    const file = await finalizeDownload({
      partialDir: streamDir, dataPath: partial.dataPath, downloadDir: context.downloadDir, filename,
      expectedBytes: partial.totalBytes, expectedSha256: record.request.sha256, hash: context.hashFiles,
    });
    return done(file); // the folder goes once the record says completed (createProcessor's cleanUp)
  } catch (error) {
    const reason = stopReasonOf(context.signal);
    if (reason === 'canceled') await rm(jobDir, { recursive: true, force: true }); // a canceled download leaves nothing behind
    if (reason) return stopped(reason);
    const failure = toMediadError(error);
    if (failure.code === 'MEDIAD_ERR_CHECKSUM_MISMATCH') await rm(jobDir, { recursive: true, force: true }); // known-bad bytes: nothing worth resuming
    return failed(failure);
  }
}

/**
 * A file job's partial data sits in its job folder itself: one folder less to create and delete per
 * download, which on ext4 without a journal (the bench VM) costs a scan past every recently deleted inode.
 * Partial data left by a version that used `<job>/file` is resumed from there.
 */
function fileStreamDir(jobDir: string): string {
  const legacy = path.join(jobDir, 'file');
  return existsSync(legacy) ? legacy : jobDir;
}

/** Per-job `connections` overrides the configured default. */
function withJobOptions(settings: DownloadSettings, record: JobRecord): DownloadSettings {
  const connections = record.request.options.connections;
  return typeof connections === 'number' ? { ...settings, connections } : settings;
}
