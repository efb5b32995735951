/**
 * Segmented downloads against a real local origin, driving the engine
 * directly so each case is deterministic: every byte fetched once, each
 * segment resumed where its checkpoint says, the largest remaining segment
 * split for an idle connection, and a safe fallback when ranges are ignored.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { constants } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { checkpointVersion, writeCheckpoint } from '../../src/engine/checkpoint.ts';
import { downloadToPartial, type DownloadSettings } from '../../src/engine/download.ts';
import { inFolder } from '../../src/engine/partial-paths.ts';
import type { HttpClient } from '../../src/engine/http-client.ts';
import type { Segment } from '../../src/engine/segments.ts';
import { randomBytesSeeded, sha256, sha256File, type Origin, type ServedRequest } from '../helpers/origin.ts';
import { MiB } from '../helpers/env.ts';
import { quietLog, startOriginAndClient } from '../helpers/engine-client.ts';
import { openFlagsOn } from '../helpers/open-flags.ts';
import { tempDirs } from '../helpers/temp-dirs.ts';

const tempDir = tempDirs('mediad-seg-');


function parseRange(request: ServedRequest): [number, number | null] | undefined {
  const match = /^bytes=(\d+)-(\d*)$/.exec(request.range ?? '');
  return match ? [Number(match[1]), match[2] === '' ? null : Number(match[2])] : undefined;
}

describe('segmented downloads', () => {
  let origin: Origin;
  let http: HttpClient;
  let close: (() => Promise<void>) | undefined;
  before(async () => {
    ({ origin, http, close } = await startOriginAndClient(16));
  });
  after(async () => close?.());

  const settings = (connections: number, minSegmentBytes = MiB): DownloadSettings => ({ connections, minSegmentBytes, checkpointIntervalBytes: 2 * MiB, checkpointIntervalMs: 1000, directWrites: true });
  const run = (dir: string, url: string, connections: number, minSegmentBytes = MiB) => downloadToPartial(inFolder(dir), { url }, settings(connections, minSegmentBytes), {
    http, signal: new AbortController().signal, log: quietLog, now: Date.now, onProgress: () => undefined,
  });

  it('fetches every byte exactly once over 4 parallel connections', async () => {
    const data = randomBytesSeeded(16 * MiB, 1);
    origin.setFile('/four.bin', data);
    origin.behave('/four.bin', { throttleBytesPerSecond: 8 * MiB });
    const before = origin.requests.length;
    // 4 MiB segments: the probe and the three others are equal, so none is worth splitting and every byte is asked once
    const result = await run(await tempDir(), origin.url('/four.bin'), 4, 4 * MiB);
    assert.equal(await sha256File(result.dataPath), sha256(data));
    assert.equal(origin.peakConcurrentResponses('/four.bin'), 4);
    const ranges = origin.requests.slice(before).map(parseRange).filter((range) => range !== undefined).sort((a, b) => a[0] - b[0]);
    assert.deepEqual(ranges, [[0, 4 * MiB - 1], [4 * MiB, 8 * MiB - 1], [8 * MiB, 12 * MiB - 1], [12 * MiB, 16 * MiB - 1]]);
    assert.equal(origin.bytesServed('/four.bin'), data.length, 'not one byte fetched twice');
  });

  it('gives every connection back to the pool when its range is done, so the next download reuses them', async () => {
    const data = randomBytesSeeded(16 * MiB, 7);
    origin.setFile('/reuse.bin', data);
    const dir = tempDir;
    const before = origin.connectionsAccepted();
    assert.equal(await sha256File((await run(await dir(), origin.url('/reuse.bin'), 4, 4 * MiB)).dataPath), sha256(data));
    const first = origin.connectionsAccepted() - before;
    assert.ok(first <= 4, `the first download opened ${first} connections for its 4 ranges`);
    assert.equal(await sha256File((await run(await dir(), origin.url('/reuse.bin'), 4, 4 * MiB)).dataPath), sha256(data));
    assert.equal(origin.connectionsAccepted() - before, first, 'the second download opened no new connection');
  });

  it('resumes every segment at its checkpointed offset', async () => {
    const data = randomBytesSeeded(16 * MiB, 2);
    origin.setFile('/resume.bin', data);
    origin.behave('/resume.bin', { throttleBytesPerSecond: 8 * MiB }); // paced, so a cut segment's connection has little in flight
    const head = await http.get(origin.url('/resume.bin'), { range: 'bytes=0-0' }, new AbortController().signal);
    const etag = head.headers.etag as string;
    head.body.resume();
    const dir = await tempDir();
    const segments: Segment[] = [0, 1, 2, 3].map((i) => ({ start: i * 4 * MiB, end: (i + 1) * 4 * MiB, written: (i + 1) * 512 * 1024 }));
    const partial = Buffer.alloc(data.length);
    for (const s of segments) data.copy(partial, s.start, s.start, s.start + s.written);
    await writeFile(path.join(dir, 'data.part'), partial);
    await writeCheckpoint(inFolder(dir), { version: checkpointVersion, url: origin.url('/resume.bin'), sourceUrl: origin.url('/resume.bin'), resolvedUrl: origin.url('/resume.bin'), contentDisposition: null, etag, lastModified: null, totalBytes: data.length, segments });
    const servedBefore = origin.bytesServed('/resume.bin');
    const requestsBefore = origin.requests.length;
    const result = await run(dir, origin.url('/resume.bin'), 4);
    assert.equal(await sha256File(result.dataPath), sha256(data));
    assert.equal(result.resumedFromBytes, (1 + 2 + 3 + 4) * 512 * 1024);
    const resumed = origin.requests.slice(requestsBefore);
    const firstFour = resumed.slice(0, 4).map((r) => parseRange(r)?.[0]).sort((a, b) => (a ?? 0) - (b ?? 0));
    assert.deepEqual(firstFour, segments.map((s) => s.start + s.written), 'each segment resumed exactly at its checkpointed offset');
    assert.ok(resumed.every((r) => r.ifRange === etag), 'each resume asked If-Range with the strong ETag');
    const refetched = origin.bytesServed('/resume.bin') - servedBefore - (data.length - result.resumedFromBytes);
    assert.ok(refetched >= 0 && refetched <= 512 * 1024, `fetched only the missing bytes (+${refetched} in flight when segments were cut)`);
  });

  it('splits the largest remaining segment when a connection has nothing left to do', async () => {
    const data = randomBytesSeeded(16 * MiB, 3);
    origin.setFile('/split.bin', data);
    origin.behave('/split.bin', { throttleBytesPerSecond: 4 * MiB });
    const head = await http.get(origin.url('/split.bin'), { range: 'bytes=0-0' }, new AbortController().signal);
    const etag = head.headers.etag as string;
    head.body.resume();
    const dir = await tempDir();
    const partial = Buffer.alloc(data.length);
    data.copy(partial, 0, 0, 8 * MiB);
    await writeFile(path.join(dir, 'data.part'), partial);
    // the first half is done, the second untouched: two connections must share the second half
    await writeCheckpoint(inFolder(dir), { version: checkpointVersion, url: origin.url('/split.bin'), sourceUrl: origin.url('/split.bin'), resolvedUrl: origin.url('/split.bin'), contentDisposition: null, etag, lastModified: null, totalBytes: data.length, segments: [{ start: 0, end: 8 * MiB, written: 8 * MiB }, { start: 8 * MiB, end: 16 * MiB, written: 0 }] });
    const requestsBefore = origin.requests.length;
    const servedBefore = origin.bytesServed('/split.bin');
    const result = await run(dir, origin.url('/split.bin'), 2);
    assert.equal(await sha256File(result.dataPath), sha256(data));
    assert.equal(origin.peakConcurrentResponses('/split.bin'), 2);
    // both requests leave at about the same time: the origin may see them in either order
    const starts = origin.requests.slice(requestsBefore).map((r) => parseRange(r)?.[0] as number).sort((x, y) => x - y);
    assert.deepEqual(starts, [8 * MiB, 12 * MiB], 'the idle connection took the back half of the remaining segment');
    assert.ok(origin.bytesServed('/split.bin') - servedBefore <= 8 * MiB + 512 * 1024, 'the cut segment stopped at the cut');
  });

  it('writes the bulk around the page cache, byte-exact, over ranges and resumes that do not fall on pages', async () => {
    const data = randomBytesSeeded(12 * MiB + 777, 8);
    origin.setFile('/direct.bin', data);
    origin.behave('/direct.bin', { throttleBytesPerSecond: 16 * MiB, resetAfterBytes: 3 * MiB + 4321, resetTimes: 1 });
    const dir = await tempDir();
    const dataPath = path.join(dir, 'data.part');
    let sawDirect = false;
    const servedBefore = origin.bytesServed('/direct.bin');
    // 1 MiB + 333: the probe's range, and so every other segment's start, is off the page grid; the reset resumes one off it too
    const result = await downloadToPartial(inFolder(dir), { url: origin.url('/direct.bin') }, settings(3, MiB + 333), {
      http, signal: new AbortController().signal, log: quietLog, now: Date.now,
      onProgress: () => {
        sawDirect ||= openFlagsOn(dataPath).some((flags) => (flags & constants.O_DIRECT) !== 0);
      },
    });
    assert.equal(await sha256File(result.dataPath), sha256(data));
    assert.ok(sawDirect, 'the data file had an O_DIRECT descriptor open while it was written');
    assert.ok(origin.bytesServed('/direct.bin') - servedBefore <= data.length + 2 * MiB, 'the reset cost at most what was in flight');
  });

  it('falls back to one connection from zero when the server ignores ranges', async () => {
    const data = randomBytesSeeded(8 * MiB, 4);
    origin.setFile('/norange.bin', data);
    origin.behave('/norange.bin', { ignoreRange: true });
    const result = await run(await tempDir(), origin.url('/norange.bin'), 4);
    assert.equal(await sha256File(result.dataPath), sha256(data));
    assert.equal(origin.peakConcurrentResponses('/norange.bin'), 1);
    assert.equal(origin.requests.filter((r) => r.path === '/norange.bin').length, 1);
  });

  it('starts over, still byte-exact, when the resource changes between segments', async () => {
    const first = randomBytesSeeded(8 * MiB, 5);
    const second = randomBytesSeeded(8 * MiB, 6);
    origin.setFile('/changes.bin', first);
    // both connections break after 2 MiB; the file changes at 3 MiB, so their resumes meet the new version
    origin.behave('/changes.bin', { throttleBytesPerSecond: 4 * MiB, resetAfterBytes: 2 * MiB, resetTimes: 2 });
    origin.onBytesServed('/changes.bin', origin.bytesServed('/changes.bin') + 3 * MiB, () => origin.setFile('/changes.bin', second));
    const requestsBefore = origin.requests.length;
    const result = await run(await tempDir(), origin.url('/changes.bin'), 2);
    assert.ok(origin.requests.slice(requestsBefore).some((r) => r.status === 200 && r.ifRange), 'a resume met the new version (If-Range failed)');
    assert.equal(await sha256File(result.dataPath), sha256(second), 'every byte is from the new version, none from the old');
  });
});
