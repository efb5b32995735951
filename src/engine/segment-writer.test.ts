import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { openDataFile, type DataFile } from './data-file.ts';
import { directUnitBytes } from './direct-io.ts';
import { SegmentWriter } from './segment-writer.ts';
import type { Segment } from './segments.ts';
import { randomBytesSeeded } from '../../test/helpers/origin.ts';
import { tempDirs } from '../../test/helpers/temp-dirs.ts';

const tempDir = tempDirs('mediad-sw-');
const MiB = 1024 * 1024;

/** A real data file whose writes around the page cache are counted, and can be held back or made to fail. */
async function countedFile(options: { failAroundCall?: number; gate?: () => Promise<void> } = {}) {
  const file = path.join(await tempDir(), 'data.part');
  const real = openDataFile(file, 'new');
  const counts = { aroundCalls: 0, aroundBytes: 0, cacheWrites: 0 };
  const data: DataFile = {
    ...real,
    writev: (buffers, position) => (counts.cacheWrites++, real.writev(buffers, position)),
    writevSync: (buffers, position) => {
      counts.cacheWrites++;
      return real.writevSync?.(buffers, position) ?? assert.fail('a data file writes in line');
    },
    writeAround: async (block, offset, length, position, inline) => {
      if (++counts.aroundCalls === options.failAroundCall) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      await options.gate?.();
      const bytes = await real.writeAround(block, offset, length, position, inline);
      counts.aroundBytes += bytes;
      return bytes;
    },
  };
  return { file, data, counts };
}

function writerFor(segment: Segment, data: DataFile, around = true, now: () => number = Date.now) {
  const reported: number[] = [];
  const writer = new SegmentWriter(segment, {
    file: data,
    around,
    now,
    onWritten: (bytes) => {
      segment.written += bytes;
      reported.push(bytes);
    },
    afterWrite: () => undefined,
  });
  return { writer, reported };
}

/** Feeds `bytes` in chunks of uneven sizes, as a socket would, waiting whenever the writer asks to. */
async function feed(writer: SegmentWriter, bytes: Buffer): Promise<void> {
  const sizes = [1000, 65536, 7, 40000, 16384, 4096, 30000];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const chunk = bytes.subarray(at, at + (sizes[i % sizes.length] as number));
    at += chunk.length;
    await writer.keep(chunk);
  }
}

describe('SegmentWriter', () => {
  it('writes a big segment byte-exact, nearly all of it around the page cache', async () => {
    const start = 5000; // not on a page boundary
    const bytes = randomBytesSeeded(3 * MiB + 123, 11);
    const { file, data, counts } = await countedFile();
    const segment: Segment = { start, end: start + bytes.length, written: 0 };
    const { writer, reported } = writerFor(segment, data);
    await feed(writer, bytes);
    await writer.flush(true);
    await data.close();
    assert.equal(segment.written, bytes.length);
    assert.equal(reported.reduce((a, b) => a + b, 0), bytes.length);
    assert.equal(writer.held(), 0);
    assert.deepEqual(readFileSync(file).subarray(start), bytes);
    assert.ok(counts.aroundBytes > 0.9 * bytes.length, `${counts.aroundBytes} of ${bytes.length} bytes around the cache`);
    assert.equal(counts.aroundBytes % directUnitBytes, 0);
    assert.equal(counts.cacheWrites, 2, 'through the cache only the part of the first page and of the last one');
  });

  it('writes a small segment as its chunks came, all through the cache', async () => {
    const bytes = randomBytesSeeded(200 * 1024, 12);
    const { file, data, counts } = await countedFile();
    const segment: Segment = { start: 0, end: bytes.length, written: 0 };
    const { writer } = writerFor(segment, data);
    await feed(writer, bytes);
    await writer.flush(true);
    await data.close();
    assert.deepEqual(readFileSync(file), bytes);
    assert.equal(counts.aroundCalls, 0);
  });

  it('writes a big segment all through the cache when writes around it are off (MEDIAD_DIRECT_WRITES=false)', async () => {
    const bytes = randomBytesSeeded(3 * MiB, 15);
    const { file, data, counts } = await countedFile();
    const segment: Segment = { start: 0, end: bytes.length, written: 0 };
    const { writer } = writerFor(segment, data, false);
    await feed(writer, bytes);
    await writer.flush(true);
    await data.close();
    assert.deepEqual(readFileSync(file), bytes);
    assert.equal(counts.aroundCalls, 0);
  });

  for (const around of [true, false]) {
    it(`knows where the next byte goes through a flush every 100 ms (a slow link; ${around ? 'staged' : 'chunks as they came'})`, async () => {
      let clock = 0;
      const start = 5000;
      const bytes = randomBytesSeeded(2 * MiB, 16);
      const { file, data } = await countedFile();
      const segment: Segment = { start, end: start + bytes.length, written: 0 };
      const { writer } = writerFor(segment, data, around, () => clock);
      for (let at = 0; at < bytes.length;) {
        const chunk = bytes.subarray(at, at + 24 * 1024 + 5);
        at += chunk.length;
        clock += 150; // every chunk finds the last flush over 100 ms old: small flushes, in line
        await writer.keep(chunk);
        assert.equal(writer.nextPosition(), start + at);
      }
      await writer.flush(true);
      await data.close();
      assert.deepEqual(readFileSync(file).subarray(start), bytes);
    });
  }

  it('goes on reading while a block is written around the cache, and writes the next only after it', async () => {
    let open: () => void = () => undefined;
    let gateOpen = false;
    const gate = () => (gateOpen ? Promise.resolve() : new Promise<void>((resolve) => { open = resolve; }));
    const bytes = randomBytesSeeded(4 * MiB, 13);
    const { file, data, counts } = await countedFile({ gate });
    const segment: Segment = { start: 0, end: bytes.length, written: 0 };
    const { writer } = writerFor(segment, data);
    let at = 0;
    const next = () => writer.keep(bytes.subarray(at, (at += 64 * 1024)));
    while (counts.aroundCalls === 0) await next(); // the first block is out and held at the gate
    assert.equal(segment.written, 0, 'nothing counted before it is in the file');
    const taken = at;
    let waiting: Promise<void> | undefined;
    while (!waiting) waiting = next(); // the body went on: the second block filled while the first is in flight
    assert.ok(at > taken, 'chunks were taken while the first block was in flight');
    assert.equal(writer.nextPosition(), at);
    let secondStarted = false;
    void waiting.then(() => { secondStarted = true; });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(secondStarted, false, 'the second block waits for the first');
    gateOpen = true;
    open();
    await waiting;
    while (at < bytes.length) await next();
    await writer.flush(true);
    await data.close();
    assert.deepEqual(readFileSync(file), bytes);
  });

  it('after a failed write, writes nothing more and keeps rejecting, with the count still exact', async () => {
    const bytes = randomBytesSeeded(4 * MiB, 14);
    const { file, data } = await countedFile({ failAroundCall: 2 });
    const segment: Segment = { start: 777, end: 777 + bytes.length, written: 0 };
    const { writer } = writerFor(segment, data);
    await assert.rejects(feed(writer, bytes), /ENOSPC/);
    await assert.rejects(writer.flush(true), /ENOSPC/);
    await assert.rejects(Promise.resolve(writer.keep(Buffer.alloc(10))), /ENOSPC/);
    await data.close();
    assert.ok(segment.written > 0 && segment.written < bytes.length, String(segment.written));
    assert.equal(statSync(file).size, 777 + segment.written, 'no byte past what was counted');
    assert.deepEqual(readFileSync(file).subarray(777), bytes.subarray(0, segment.written));
  });
});
