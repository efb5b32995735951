/**
 * A file job's partial files on disk: where they live (flat in the shared
 * partial folder, named after the job), that partial data from the earlier
 * `<job>/file` and `<job>/` layouts still resumes, and that the done marker
 * outlives a failed record update, so a crash in that window reports the file
 * instead of fetching it again as "name (1)".
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { link, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Job } from 'bullmq';
import { writeCheckpoint, checkpointVersion } from '../../src/engine/checkpoint.ts';
import { processStartTime, readProcStat } from '../../src/proc-stat.ts';
import { keepAsSpare } from '../../src/engine/spare-files.ts';
import type { HttpClient } from '../../src/engine/http-client.ts';
import { fileJobPartial, inFolder, partialFile, partialFolder, partialJobDir, removeFinishedFileJobPartial } from '../../src/engine/partial-paths.ts';
import { initialProgress, type JobRecord } from '../../src/queue/job-record.ts';
import type { JobStore } from '../../src/queue/job-store.ts';
import { createProcessor } from '../../src/worker/bullmq-adapter.ts';
import type { ProgressReporter } from '../../src/worker/progress-reporter.ts';
import { runFileJob, type JobRunContext } from '../../src/worker/run-file-job.ts';
import { randomBytesSeeded, sha256, sha256File, type Origin } from '../helpers/origin.ts';
import { quietLog, startOriginAndClient } from '../helpers/engine-client.ts';
import { tempDirs } from '../helpers/temp-dirs.ts';

const MiB = 1024 * 1024;
const tempDir = tempDirs('mediad-fjf-');
const noProgress: ProgressReporter = { stage: () => undefined, bytes: () => undefined, percent: () => undefined, stop: async () => undefined };

function recordFor(id: string, url: string): JobRecord {
  return {
    id, seq: 1, request: { url, kind: 'file', priority: 0, options: {} }, state: 'queued', progress: initialProgress,
    attempts: 0, error: null, file: null, createdAt: new Date().toISOString(), startedAt: null, finishedAt: null, cancelRequestedAt: null,
  };
}

/** Job records in memory; `failCompletedUpdates` makes storing "completed" fail, as when Redis is down at that moment. */
function memoryStore(records: Map<string, JobRecord>) {
  const store = {
    failCompletedUpdates: 0,
    async claim(id: string) {
      return records.get(id); // the record as it was; the run does not read the state this marks
    },
    async update(id: string, fields: Partial<JobRecord>) {
      if (fields.state === 'completed' && store.failCompletedUpdates > 0) {
        store.failCompletedUpdates--;
        throw new Error('redis is down');
      }
      records.set(id, { ...(records.get(id) as JobRecord), ...fields });
    },
  };
  return store;
}

describe('file job partial files', () => {
  let origin: Origin;
  let http: HttpClient;
  let close: (() => Promise<void>) | undefined;
  before(async () => {
    ({ origin, http, close } = await startOriginAndClient(4));
  });
  after(async () => close?.());

  const contextFor = (downloadDir: string): JobRunContext => ({
    http, downloadDir, signal: new AbortController().signal, log: quietLog, now: Date.now, progress: noProgress, hashFiles: false,
    settings: { connections: 1, minSegmentBytes: MiB, checkpointIntervalBytes: 8 * MiB, checkpointIntervalMs: 2000, directWrites: true },
  });

  for (const [layout, folderOf] of [['<job>/file', (jobDir: string) => path.join(jobDir, 'file')], ['<job>', (jobDir: string) => jobDir]] as const) {
  it(`resumes partial data that an earlier version left under ${layout}, fetching only the rest, then removes the folder`, async () => {
    const data = randomBytesSeeded(2 * MiB, 41);
    origin.setFile('/legacy.bin', data, { etag: 'legacy-v1' });
    const downloadDir = await tempDir();
    const legacyDir = folderOf(partialJobDir(downloadDir, 'j-legacy'));
    await mkdir(legacyDir, { recursive: true });
    await writeFile(path.join(legacyDir, 'data.part'), data.subarray(0, MiB));
    const url = origin.url('/legacy.bin');
    await writeCheckpoint(inFolder(legacyDir), {
      version: checkpointVersion, url, sourceUrl: url, resolvedUrl: url, contentDisposition: null,
      etag: '"legacy-v1"', lastModified: null, totalBytes: 2 * MiB, segments: [{ start: 0, end: 2 * MiB, written: MiB }],
    });
    const before = origin.requests.length;
    const servedBefore = origin.bytesServed('/legacy.bin');

    const outcome = await runFileJob(recordFor('j-legacy', url), contextFor(downloadDir));

    assert.equal(outcome.kind, 'done');
    assert.ok(outcome.kind === 'done');
    assert.equal(await sha256File(outcome.file.path), sha256(data));
    const served = origin.requests.slice(before);
    assert.deepEqual(served.map((request) => request.range), [`bytes=${MiB}-${2 * MiB - 1}`]);
    assert.equal(origin.bytesServed('/legacy.bin') - servedBefore, MiB);
    removeFinishedFileJobPartial(downloadDir, 'j-legacy');
    assert.deepEqual(await readdir(partialFolder(downloadDir)), [], 'the old folder went with the job');
  });
  }

  it('keeps a finished job\'s done marker until its record says completed, so the retry reports the same file without fetching', async () => {
    const data = randomBytesSeeded(64 * 1024, 42);
    origin.setFile('/small.bin', data);
    const downloadDir = await tempDir();
    const records = new Map([['j-small', recordFor('j-small', origin.url('/small.bin'))]]);
    const store = memoryStore(records);
    const cleaned: string[] = [];
    const processor = createProcessor({
      store: store as unknown as JobStore, now: Date.now,
      run: (record) => runFileJob(record, contextFor(downloadDir)),
      cleanUp: (record) => {
        cleaned.push(record.id);
        removeFinishedFileJobPartial(downloadDir, record.id);
      },
    });
    const job = { id: 'j-small', attemptsMade: 0, opts: { attempts: 3 } } as unknown as Job;
    const folder = partialFolder(downloadDir);

    store.failCompletedUpdates = 1;
    await assert.rejects(processor(job, 'token'), /redis is down/);
    assert.deepEqual(cleaned, [], 'nothing is cleaned up while the record does not say completed');
    assert.deepEqual(await readdir(folder), ['j-small.lock'], 'only the lock, which holds the done marker, stays: no marker file, no job folder');
    const requestsAfterFirst = origin.requests.length;

    const file = await processor(job, 'token');

    assert.equal(origin.requests.length, requestsAfterFirst, 'the retry fetched nothing');
    assert.equal(file.name, 'small.bin');
    assert.equal(await sha256File(file.path), sha256(data));
    assert.deepEqual(await readdir(downloadDir).then((names) => names.filter((name) => !name.startsWith('.')).sort()), ['small.bin'], 'no "small (1).bin"');
    assert.equal(records.get('j-small')?.state, 'completed');
    assert.deepEqual(cleaned, ['j-small']);
    assert.deepEqual(await readdir(folder), [], 'nothing left once the record says completed');
  });

  it('reuses a finished download\'s lock inode for the next one, so small files allocate only their data inode', async () => {
    const downloadDir = await tempDir();
    const folder = partialFolder(downloadDir);
    const inodes: number[] = [];
    for (const n of [1, 2, 3]) {
      const data = randomBytesSeeded(16 * 1024, 50 + n);
      origin.setFile(`/reuse-${n}.bin`, data);
      const id = `j-reuse-${n}`;
      const outcome = await runFileJob(recordFor(id, origin.url(`/reuse-${n}.bin`)), contextFor(downloadDir));
      assert.ok(outcome.kind === 'done', JSON.stringify(outcome));
      assert.equal(await sha256File(outcome.file.path), sha256(data));
      inodes.push((await stat(partialFile(fileJobPartial(downloadDir, id), 'lock'))).ino); // the done marker, until cleanup
      removeFinishedFileJobPartial(downloadDir, id, keepAsSpare);
    }
    assert.equal(new Set(inodes).size, 1, `one lock inode for all three: ${inodes.join(', ')}`);
    const left = await readdir(folder);
    assert.equal(left.length, 1);
    assert.match(left[0] as string, /^spare\.\d+-\d+\.\d+$/, 'only the spare stays');
  });

  it('reports a file from a done marker file an older version left, without fetching', async () => {
    const data = randomBytesSeeded(32 * 1024, 44);
    origin.setFile('/older.bin', data);
    const downloadDir = await tempDir();
    await writeFile(path.join(downloadDir, 'older.bin'), data);
    const partial = fileJobPartial(downloadDir, 'j-older');
    await mkdir(partial.dir, { recursive: true });
    const placed = { path: path.join(downloadDir, 'older.bin'), name: 'older.bin', size: data.length, sha256: null };
    await writeFile(partialFile(partial, 'done'), JSON.stringify(placed));
    const before = origin.requests.length;

    const outcome = await runFileJob(recordFor('j-older', origin.url('/older.bin')), contextFor(downloadDir));

    assert.deepEqual(outcome, { kind: 'done', file: placed });
    assert.equal(origin.requests.length, before, 'nothing fetched');
  });

  it('downloads again when the file a done marker names is gone, although the marker names a live worker', async () => {
    // the worker that finished it lives on (it runs other jobs): a done marker is no claim on the partial
    const data = randomBytesSeeded(32 * 1024, 45);
    origin.setFile('/gone.bin', data);
    const downloadDir = await tempDir();
    const partial = fileJobPartial(downloadDir, 'j-gone');
    await mkdir(partial.dir, { recursive: true });
    // this test's parent process stands for that worker: alive, and its own parent is the supervisor it names
    const live = { pid: process.ppid, startTime: processStartTime(process.ppid), supervisorPid: readProcStat(process.ppid)?.ppid };
    assert.ok(live.startTime && live.supervisorPid);
    const marker = { ...live, done: { path: path.join(downloadDir, 'gone.bin'), name: 'gone.bin', size: data.length, sha256: null } };
    await writeFile(partialFile(partial, 'lock'), JSON.stringify(marker));

    const outcome = await runFileJob(recordFor('j-gone', origin.url('/gone.bin')), contextFor(downloadDir));

    assert.equal(outcome.kind, 'done', JSON.stringify(outcome));
    assert.ok(outcome.kind === 'done');
    assert.equal(await sha256File(outcome.file.path), sha256(data));
    assert.equal(outcome.file.name, 'gone.bin');
  });

  it('never empties a placed file when killed between placing it and writing the done marker, even if the retry fails', async () => {
    // The finished data is hard-linked into the download folder before the done marker is written: a kill in between
    // leaves data.part and the user's file as one inode, with no marker and (for a small file) no checkpoint.
    const data = randomBytesSeeded(64 * 1024, 43);
    const downloadDir = await tempDir();
    const partial = fileJobPartial(downloadDir, 'j-placed');
    await mkdir(partial.dir, { recursive: true });
    await writeFile(partialFile(partial, 'data'), data);
    await link(partialFile(partial, 'data'), path.join(downloadDir, 'placed.bin'));
    origin.setFile('/placed.bin', data);
    origin.behave('/placed.bin', { failStatus: 404 }); // the retry cannot fetch it again

    const outcome = await runFileJob(recordFor('j-placed', origin.url('/placed.bin')), contextFor(downloadDir));

    assert.notEqual(outcome.kind, 'done');
    assert.equal(await sha256File(path.join(downloadDir, 'placed.bin')), sha256(data), 'the placed file keeps every byte');
  });
});
