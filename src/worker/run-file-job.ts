/** Runs a `file` job: download with the engine, verify, move into the download folder. */
import { toMediadError } from '../engine/classify.ts';
import { downloadLocked, type DownloadContext, type DownloadSettings } from '../engine/download.ts';
import { chooseFilename } from '../engine/filename.ts';
import { finalizeDownload, readRecordedFinish } from '../engine/finalize.ts';
import type { HttpClient } from '../engine/http-client.ts';
import { fileJobPartial, removeJobPartial } from '../engine/partial-paths.ts';
import { withPartialLock } from '../engine/partial-lock.ts';
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
  const partialFiles = fileJobPartial(context.downloadDir, record.id);
  try {
    const recorded = await readRecordedFinish(partialFiles);
    if (recorded) return done(recorded);
    context.progress.stage('downloading');
    // one lock from the first byte to the placed file: it then becomes the done marker, with no file of its own
    const file = await withPartialLock(partialFiles, (message) => context.log.warn({ dir: partialFiles.dir }, message), async (lock) => {
      const partial = await downloadLocked(partialFiles, { url: record.request.url }, withJobOptions(context.settings, record), {
        http: context.http, signal: context.signal, log: context.log, now: context.now,
        onProgress: (downloaded, total) => context.progress.bytes(downloaded, total),
        ...(context.throttle ? { throttle: context.throttle } : {}),
      }, lock);
      context.progress.stage('verifying');
      const filename = chooseFilename({ requested: record.request.filename, contentDisposition: partial.contentDisposition ?? undefined, url: partial.resolvedUrl });
      return finalizeDownload({
        recordFinish: (finished) => lock.markDone(finished), dataPath: partial.dataPath, downloadDir: context.downloadDir, filename,
        expectedBytes: partial.totalBytes, expectedSha256: record.request.sha256, hash: context.hashFiles,
      });
    });
    return done(file); // the partial files go once the record says completed (createProcessor's cleanUp)
  } catch (error) {
    const reason = stopReasonOf(context.signal);
    if (reason === 'canceled') await removeJobPartial(context.downloadDir, record.id); // a canceled download leaves nothing behind
    if (reason) return stopped(reason);
    const failure = toMediadError(error);
    if (failure.code === 'MEDIAD_ERR_CHECKSUM_MISMATCH') await removeJobPartial(context.downloadDir, record.id); // known-bad bytes: nothing worth resuming
    return failed(failure);
  }
}

/** Per-job `connections` overrides the configured default. */
function withJobOptions(settings: DownloadSettings, record: JobRecord): DownloadSettings {
  const connections = record.request.options.connections;
  return typeof connections === 'number' ? { ...settings, connections } : settings;
}
