/**
 * Downloads one URL into partial files: probe, split into segments, fetch
 * them over parallel Range requests, checkpoint as bytes land, resume from a
 * checkpoint, and restart from zero when the origin says the resource changed.
 * Returns when every byte is on disk and fsynced; finishing (hash, rename) is the caller's.
 */
import { openDataFile, type DataFile } from './data-file.ts';
import { ensureReserve, releaseReserve } from './disk-reserve.ts';
import { MediadError } from '../errors.ts';
import { partialFile, type PartialFiles } from './partial-paths.ts';
import { loadCheckpoint, removeCheckpoint, truncateToCheckpoint, writeCheckpoint, checkpointVersion, type Checkpoint } from './checkpoint.ts';
import { eachChunk, type ChunkAnswer } from './body-chunks.ts';
import { bodyReading } from '../v8-young-gc.ts';
import { SegmentWriter } from './segment-writer.ts';
import { toMediadError } from './classify.ts';
import { failForStatus, type HttpClient, type HttpResponse } from './http-client.ts';
import { withPartialLock, type PartialLock } from './partial-lock.ts';
import { canResume, checkResumeResponse } from './resume-check.ts';
import { parseRetryAfter } from './retry-delay.ts';
import { chooseSplit, downloadedBytes, isComplete, planAfterProbe, planSegments, roomAt, type Segment } from './segments.ts';
import { headerValue, identityOf, ifRangeFor, parseContentRange, type ResourceIdentity } from './validators.ts';

export interface DownloadTarget {
  /** Where to fetch from now. */
  readonly url: string;
  /** What the bytes are, when that outlives the URL (a re-resolved YouTube stream gets a new signed URL); defaults to `url`. */
  readonly checkpointKey?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface DownloadSettings {
  readonly connections: number;
  readonly minSegmentBytes: number;
  readonly checkpointIntervalBytes: number;
  readonly checkpointIntervalMs: number;
  /** Big downloads go around the page cache where the file system allows (direct-io.ts). */
  readonly directWrites: boolean;
}

export interface DownloadLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface DownloadContext {
  readonly http: HttpClient;
  readonly signal: AbortSignal;
  readonly log: DownloadLog;
  readonly now: () => number;
  /** Told about every byte written, for progress. */
  onProgress(downloadedBytes: number, totalBytes: number | null): void;
  /** Waits until `bytes` may be written (bandwidth limits); absent or answering `undefined` = go on now. */
  throttle?(bytes: number, signal: AbortSignal): Promise<void> | undefined;
}

export interface PartialDownload {
  readonly dataPath: string;
  readonly totalBytes: number;
  readonly resolvedUrl: string;
  readonly contentDisposition: string | null;
  /** Bytes that were already on disk from a checkpoint when this run started. */
  readonly resumedFromBytes: number;
}

/** The origin answered with a different resource (or ignored Range): discard the partial data and fetch from zero. */
class ResourceChanged extends Error {}

const maxRestartsPerRun = 3;
const maxQuickRetriesPerSegment = 50; // resets that still make progress are retried at once, without spending a job attempt

export async function downloadToPartial(files: PartialFiles, target: DownloadTarget, settings: DownloadSettings, context: DownloadContext): Promise<PartialDownload> {
  return withPartialLock(files, (message) => context.log.warn({ dir: files.dir }, message), (lock) => downloadLocked(files, target, settings, context, lock));
}

/** `downloadToPartial` for a caller that holds the partial lock itself (to finish the file under it). */
export async function downloadLocked(files: PartialFiles, target: DownloadTarget, settings: DownloadSettings, context: DownloadContext, lock: PartialLock): Promise<PartialDownload> {
  const loaded = await loadCheckpoint(files, target.checkpointKey ?? target.url);
  if ('discarded' in loaded) context.log.warn({ reason: loaded.discarded }, 'checkpoint discarded, downloading from zero');
  let resumeFrom = 'checkpoint' in loaded ? loaded.checkpoint : undefined;
  if (resumeFrom && !canResume(resumeFrom)) {
    context.log.warn({}, 'origin gave no validator or length last time, downloading from zero');
    resumeFrom = undefined;
  }
  const resumedFromBytes = resumeFrom ? downloadedBytes(resumeFrom.segments) : 0;
  if (resumeFrom) context.log.info({ offset: resumedFromBytes, totalBytes: resumeFrom.totalBytes }, 'resuming from checkpoint');
  for (let restart = 0; ; restart++) {
    const transfer = new Transfer(files, target, settings, context, lock);
    try {
      const result = await transfer.run(resumeFrom);
      return { ...result, resumedFromBytes };
    } catch (error) {
      if (!(error instanceof ResourceChanged) || restart >= maxRestartsPerRun) throw error instanceof ResourceChanged ? new MediadError('MEDIAD_ERR_RANGE_MISMATCH', error.message) : error;
      context.log.warn({ reason: error.message }, 'resource changed, downloading from zero');
      await removeCheckpoint(files);
      resumeFrom = undefined;
    }
  }
}

class Transfer {
  private file!: DataFile;
  private identity: ResourceIdentity = { etag: null, lastModified: null, totalBytes: null };
  private resolvedUrl: string;
  private contentDisposition: string | null = null;
  private segments: Segment[] = [];
  private readonly busy = new Set<number>();
  /** Bytes each segment's connection took but has not written yet: a split must cut beyond them. */
  private readonly held = new Map<Segment, () => number>();
  private readonly stop = new AbortController();
  private bytesSinceCheckpoint = 0;
  private lastCheckpointAt: number;
  private checkpointing: Promise<void> | undefined;
  private checkpointError: unknown;
  private checkpointsStarted = 0;
  private connections: number;
  private resumed = false;

  constructor(
    private readonly files: PartialFiles,
    private readonly target: DownloadTarget,
    private readonly settings: DownloadSettings,
    private readonly context: DownloadContext,
    private readonly lock: PartialLock,
  ) {
    this.resolvedUrl = target.url;
    this.lastCheckpointAt = context.now();
    this.connections = settings.connections;
  }

  async run(resumeFrom: Checkpoint | undefined): Promise<Omit<PartialDownload, 'resumedFromBytes'>> {
    const dataPath = partialFile(this.files, 'data');
    const onOuterAbort = () => this.stop.abort(this.context.signal.reason);
    this.context.signal.addEventListener('abort', onOuterAbort, { once: true });
    let probe: HttpResponse | undefined;
    try {
      if (resumeFrom) {
        await truncateToCheckpoint(this.files, resumeFrom);
        this.file = openDataFile(dataPath, 'r+', this.directRefused);
        this.adopt(resumeFrom);
        this.resumed = true;
      } else {
        this.file = openDataFile(dataPath, 'new', this.directRefused);
        probe = await this.probe();
      }
      this.report();
      await this.fetchAllSegments(probe);
      // A download that finished before its first checkpoint was due needs none (a crash re-fetches less than one
      // interval); a longer one records its end so a retry (e.g. after a full disk) finishes without fetching again.
      if (this.checkpointsStarted > 0 || this.resumed) await this.checkpoint();
      else await this.file.datasync(); // the finished file must never hold bytes that are not on disk
      const size = this.file.size();
      const total = this.identity.totalBytes ?? downloadedBytes(this.segments);
      if (size !== total) throw new MediadError('MEDIAD_ERR_SIZE_MISMATCH', `partial file has ${size} bytes, expected ${total}`);
      return { dataPath, totalBytes: total, resolvedUrl: this.resolvedUrl, contentDisposition: this.contentDisposition };
    } catch (error) {
      probe?.body.destroy();
      await this.saveProgressAfterFailure(error);
      throw error instanceof ResourceChanged ? error : toMediadError(error);
    } finally {
      this.context.signal.removeEventListener('abort', onOuterAbort);
      await this.file?.close();
    }
  }

  private adopt(checkpoint: Checkpoint): void {
    this.identity = { etag: checkpoint.etag, lastModified: checkpoint.lastModified, totalBytes: checkpoint.totalBytes };
    // a new source URL (re-resolved, fresh signature) wins over where the old one redirected to
    this.resolvedUrl = checkpoint.sourceUrl === this.target.url ? checkpoint.resolvedUrl : this.target.url;
    this.contentDisposition = checkpoint.contentDisposition;
    this.segments = checkpoint.segments.map((segment) => ({ ...segment }));
  }

  /** First request of a fresh download: an open Range tells us the total and whether ranges work, and its body feeds segment 0. */
  private async probe(): Promise<HttpResponse | undefined> {
    // With several connections the probe asks for one segment's worth only: an open range would keep
    // streaming into socket buffers after segment 0 is done, bytes fetched again by the other connections.
    const probeRange = this.settings.connections > 1 ? `bytes=0-${this.settings.minSegmentBytes - 1}` : 'bytes=0-';
    const response = await this.context.http.get(this.target.url, { ...this.target.headers, range: probeRange }, this.stop.signal);
    if (response.status === 416 && parseContentRange(headerValue(response.headers, 'content-range')?.replace('*', '0-0'))?.total === 0) {
      response.body.resume(); // an empty resource cannot satisfy any range
      this.start(response, 0, false);
      return undefined;
    }
    if (response.status !== 200 && response.status !== 206) failForStatus(response, parseRetryAfter(headerValue(response.headers, 'retry-after'), this.context.now()));
    const identity = identityOf(response.status, response.headers);
    this.start(response, identity.totalBytes, response.status === 206 && canResume(identity));
    this.identity = identity;
    return response;
  }

  private start(response: HttpResponse, totalBytes: number | null, rangesWork: boolean): void {
    this.resolvedUrl = response.url;
    this.contentDisposition = headerValue(response.headers, 'content-disposition') ?? null;
    this.identity = { ...this.identity, totalBytes };
    const probed = response.status === 206 ? parseContentRange(headerValue(response.headers, 'content-range')) : undefined;
    // without a validator, parallel ranges could mix two versions of a changing file: one connection, in order
    this.connections = rangesWork ? this.settings.connections : 1;
    this.segments = probed && totalBytes !== null
      ? planAfterProbe(totalBytes, probed.end + 1, this.connections, this.settings.minSegmentBytes)
      : planSegments(totalBytes, this.connections, this.settings.minSegmentBytes);
  }

  private async fetchAllSegments(probe: HttpResponse | undefined): Promise<void> {
    const runners: Promise<void>[] = [];
    let firstError: unknown;
    const runner = async (initial: HttpResponse | undefined, index: number | undefined) => {
      try {
        for (let next = index; next !== undefined; next = this.claimNext()) {
          await this.fetchSegment(next, next === index ? initial : undefined);
          this.busy.delete(next);
        }
      } catch (error) {
        firstError ??= error;
        this.stop.abort(error);
      }
    };
    const connections = this.segments.length === 1 ? 1 : this.connections;
    if (probe) {
      this.busy.add(0);
      runners.push(runner(probe, 0));
    }
    while (runners.length < connections) {
      const next = this.claimNext();
      if (next === undefined) break;
      runners.push(runner(undefined, next));
    }
    await Promise.all(runners);
    if (this.checkpointError !== undefined) throw this.checkpointError;
    if (firstError !== undefined) throw firstError;
    if (!this.segments.every(isComplete)) throw new MediadError('MEDIAD_ERR_SHORT_BODY', 'some segments are incomplete');
  }

  /** The next idle incomplete segment, else a fresh half of the busiest one (work stealing). */
  private claimNext(): number | undefined {
    if (this.stop.signal.aborted) return undefined;
    const idle = this.segments.findIndex((segment, index) => !this.busy.has(index) && !isComplete(segment));
    if (idle !== -1) {
      this.busy.add(idle);
      return idle;
    }
    const split = chooseSplit(this.segments, this.busy, this.settings.minSegmentBytes, (index) => this.held.get(this.segments[index] as Segment)?.() ?? 0);
    if (!split) return undefined;
    const donor = this.segments[split.index] as Segment;
    const end = donor.end as number;
    donor.end = split.at;
    this.segments.push({ start: split.at, end, written: 0 });
    this.busy.add(this.segments.length - 1);
    return this.segments.length - 1;
  }

  private async fetchSegment(index: number, initial: HttpResponse | undefined): Promise<void> {
    let quickRetries = 0;
    let response = initial;
    for (;;) {
      const segment = this.segments[index] as Segment;
      if (isComplete(segment)) return;
      const before = segment.written;
      try {
        response ??= await this.requestRange(segment);
        await this.consume(segment, response);
        return;
      } catch (error) {
        response?.body.destroy();
        response = undefined;
        const failure = error instanceof ResourceChanged ? error : toMediadError(error);
        const madeProgress = segment.written > before;
        if (this.stop.signal.aborted || !(failure instanceof MediadError) || !failure.retryable || !madeProgress || ++quickRetries > maxQuickRetriesPerSegment) throw failure;
        this.context.log.warn({ code: failure.code, offset: segment.start + segment.written }, 'transfer interrupted after progress, resuming at once');
      }
    }
  }

  private async requestRange(segment: Segment): Promise<HttpResponse> {
    const offset = segment.start + segment.written;
    const last = segment.end === null ? null : segment.end - 1; // fixed now: a split may cut the segment while the request is out
    const headers: Record<string, string> = { ...this.target.headers, range: `bytes=${offset}-${last ?? ''}` };
    const ifRange = ifRangeFor(this.identity);
    if (ifRange) headers['if-range'] = ifRange;
    const response = await this.context.http.get(this.resolvedUrl, headers, this.stop.signal);
    if (response.status !== 200 && response.status !== 206) failForStatus(response, parseRetryAfter(headerValue(response.headers, 'retry-after'), this.context.now()));
    const decision = checkResumeResponse({ offset, end: last, known: this.identity }, response.status, response.headers);
    if (decision.action === 'continue') return response;
    response.body.destroy();
    if (decision.action === 'restart') throw new ResourceChanged(decision.reason);
    throw new MediadError('MEDIAD_ERR_RANGE_MISMATCH', decision.reason);
  }

  private async consume(segment: Segment, response: HttpResponse): Promise<void> {
    const writer = new SegmentWriter(segment, {
      file: this.file,
      around: this.settings.directWrites,
      now: this.context.now,
      onWritten: (bytes) => {
        segment.written += bytes; // exactly what reached the file, also when a later write fails
        this.bytesSinceCheckpoint += bytes;
      },
      afterWrite: () => {
        this.report();
        this.checkpointInBackground();
      },
    });
    this.held.set(segment, () => writer.held());
    const take = (chunk: Buffer): ChunkAnswer => {
      const position = writer.nextPosition();
      const room = roomAt(segment, position, chunk.length);
      const more = segment.end === null || position + room < segment.end; // false: our range is done (a split may have cut it)
      if (room === 0) return more;
      const keep = () => writer.keep(room === chunk.length ? chunk : chunk.subarray(0, room))?.then(() => more) ?? more;
      const waiting = this.context.throttle?.(room, this.stop.signal);
      return waiting ? waiting.then(keep) : keep();
    };
    const stopReading = bodyReading();
    try {
      await eachChunk(response.body, take);
    } finally {
      stopReading();
      await writer.flush(true).finally(() => this.held.delete(segment)); // bytes that arrived are good bytes: keep them even when the transfer broke
    }
    if (segment.end === null) {
      segment.end = segment.start + segment.written; // unknown length: the body's end is the resource's end
      this.identity = { ...this.identity, totalBytes: segment.end };
    } else if (!isComplete(segment)) {
      throw new MediadError('MEDIAD_ERR_SHORT_BODY', `body ended at byte ${segment.start + segment.written} of ${segment.end}`);
    }
  }

  private readonly directRefused = (reason: string) => this.context.log.info({ reason }, 'writing through the page cache');

  private report(): void {
    this.context.onProgress(downloadedBytes(this.segments), this.identity.totalBytes);
  }

  private checkpointDue(): boolean {
    return this.bytesSinceCheckpoint >= this.settings.checkpointIntervalBytes || this.context.now() - this.lastCheckpointAt >= this.settings.checkpointIntervalMs;
  }

  /**
   * Starts a checkpoint when one is due and none is running; writes go on meanwhile
   * (fsync latency would otherwise cap throughput at what the disk syncs per second).
   */
  private checkpointInBackground(): void {
    if (this.checkpointing || !this.checkpointDue()) return;
    this.checkpoint().catch((error: unknown) => {
      this.checkpointError ??= error; // e.g. the lock was taken over or the disk is full: stop writing
      this.stop.abort(error);
    });
  }

  /** fsync the data, then record what it covers. The snapshot is taken before the fsync, so it never claims bytes the fsync may miss. */
  private async checkpoint(): Promise<void> {
    while (this.checkpointing) await this.checkpointing.catch(() => undefined); // its error is its starter's; this one tries afresh
    const snapshot = this.segments.map((segment) => ({ ...segment }));
    this.checkpointsStarted++;
    this.bytesSinceCheckpoint = 0;
    this.lastCheckpointAt = this.context.now();
    this.checkpointing = (async () => {
      if (this.checkpointsStarted === 1) ensureReserve(this.files); // only downloads that checkpoint have work worth the reserve
      await this.file.datasync();
      await this.lock.assertHeld();
      await writeCheckpoint(this.files, {
        version: checkpointVersion, url: this.target.checkpointKey ?? this.target.url, sourceUrl: this.target.url, resolvedUrl: this.resolvedUrl,
        contentDisposition: this.contentDisposition,
        ...this.identity, segments: snapshot,
      });
    })();
    try {
      await this.checkpointing;
    } finally {
      this.checkpointing = undefined;
    }
  }

  /** After a failure or abort, keep every byte that reached the disk, so the retry resumes exactly there. */
  private async saveProgressAfterFailure(failure: unknown): Promise<void> {
    if (!this.file || this.segments.length === 0) return;
    if (toMediadError(failure).code === 'MEDIAD_ERR_DISK_FULL') await releaseReserve(this.files); // room for this last checkpoint
    try {
      await this.checkpoint();
    } catch (error) {
      this.context.log.warn({ err: (error as Error).message }, 'could not checkpoint after failure; the last checkpoint stands');
    }
  }
}
