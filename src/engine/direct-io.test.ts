import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, constants, openSync, readFileSync, readdirSync, writeSync } from 'node:fs';
import path from 'node:path';
import { alignedSlab, directBlockBytes, directSplit, directUnitBytes, directWriter, pageBytes, probePathNear, returnAlignedBlock, takeAlignedBlock } from './direct-io.ts';
import { openFlagsOn } from '../../test/helpers/open-flags.ts';
import { tempDirs } from '../../test/helpers/temp-dirs.ts';

const tempDir = tempDirs('mediad-dio-');
const KiB = 1024;

describe('directSplit', () => {
  const unit = 4 * KiB;
  const cases: { name: string; position: number; size: number; expected: { head: number; direct: number } }[] = [
    { name: 'aligned start: whole units around the cache, the rest after', position: 8 * KiB, size: 100 * KiB + 5, expected: { head: 0, direct: 100 * KiB } },
    { name: 'unaligned start: the head up to the next unit first', position: 8 * KiB + 100, size: 100 * KiB, expected: { head: 4 * KiB - 100, direct: 96 * KiB } },
    { name: 'too little to be worth it: all through the cache', position: 0, size: 60 * KiB, expected: { head: 60 * KiB, direct: 0 } },
    { name: 'just enough', position: 1, size: 4 * KiB - 1 + 64 * KiB, expected: { head: 4 * KiB - 1, direct: 64 * KiB } },
    { name: 'nothing', position: 3, size: 0, expected: { head: 0, direct: 0 } },
  ];
  for (const { name, position, size, expected } of cases) it(name, () => assert.deepEqual(directSplit(position, size, unit), expected));
});

describe('pageBytes', () => {
  const auxv = (...pairs: [number, number][]) => () => {
    const buffer = Buffer.alloc(pairs.length * 16);
    pairs.forEach(([type, value], i) => {
      buffer.writeBigUInt64LE(BigInt(type), i * 16);
      buffer.writeBigUInt64LE(BigInt(value), i * 16 + 8);
    });
    return buffer;
  };
  it('reads AT_PAGESZ (6) from the auxiliary vector', () => assert.equal(pageBytes(auxv([3, 99], [6, 16384], [0, 0])), 16384));
  it('falls back to 64 KiB, the largest page Linux uses, when it cannot', () => {
    assert.equal(pageBytes(() => { throw new Error('ENOENT'); }), 64 * KiB);
    assert.equal(pageBytes(auxv([3, 99])), 64 * KiB);
  });
  it('is this machine\'s page size', () => assert.ok(directUnitBytes >= 4 * KiB && (directUnitBytes & (directUnitBytes - 1)) === 0, String(directUnitBytes)));
});

describe('aligned blocks', () => {
  it('hands out blocks that an O_DIRECT write takes whole, and leaves no scratch file', async () => {
    const dir = await tempDir();
    const dataPath = path.join(dir, 'data.part');
    const block = takeAlignedBlock(probePathNear(dataPath));
    assert.ok(block, 'an aligned block on this file system');
    assert.equal(block.length, directBlockBytes);
    block.fill(7);
    const fd = openSync(path.join(dir, 'direct'), constants.O_WRONLY | constants.O_CREAT | constants.O_DIRECT, 0o600);
    try {
      assert.equal(writeSync(fd, block, 0, block.length, 0), block.length);
      assert.equal(writeSync(fd, block, directUnitBytes, directUnitBytes, directUnitBytes), directUnitBytes, 'from a page inside the block too');
    } finally {
      closeSync(fd);
      returnAlignedBlock(block);
    }
    assert.deepEqual(readdirSync(dir), ['direct']);
  });

  it('finds no aligned memory where no file can be made', () => {
    assert.equal(alignedSlab(directBlockBytes, '/nonexistent-dir/direct-probe.1.tmp'), undefined);
  });
});

describe('directWriter', () => {
  it('writes aligned bytes through a descriptor opened with O_DIRECT, and closes it', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'data.part');
    closeSync(openSync(file, 'w'));
    const block = takeAlignedBlock(probePathNear(file)) as Buffer;
    try {
      for (let i = 0; i < block.length; i++) block[i] = (i * 31) % 251;
      const writer = directWriter(file, (reason) => assert.fail(reason));
      const length = 3 * directUnitBytes;
      assert.equal(await writer.write(block, directUnitBytes, length, 2 * directUnitBytes, false), length);
      assert.equal(await writer.write(block, 0, directUnitBytes, 0, true), directUnitBytes, 'in line too');
      assert.ok(openFlagsOn(file).some((flags) => (flags & constants.O_DIRECT) !== 0), 'an O_DIRECT descriptor is open on the file');
      writer.close();
      assert.deepEqual(openFlagsOn(file), []);
      const written = readFileSync(file);
      assert.equal(written.length, 5 * directUnitBytes);
      assert.deepEqual(written.subarray(2 * directUnitBytes), block.subarray(directUnitBytes, directUnitBytes + length));
      assert.deepEqual(written.subarray(0, directUnitBytes), block.subarray(0, directUnitBytes));
      assert.ok(written.subarray(directUnitBytes, 2 * directUnitBytes).every((byte) => byte === 0), 'the gap is a hole');
    } finally {
      returnAlignedBlock(block);
    }
  });

  it('says no once, and writes nothing, when the file cannot be opened that way', async () => {
    const reasons: string[] = [];
    const writer = directWriter('/nonexistent-dir/data.part', (reason) => reasons.push(reason));
    const block = Buffer.alloc(directUnitBytes);
    assert.equal(await writer.write(block, 0, directUnitBytes, 0, false), 0);
    assert.equal(await writer.write(block, 0, directUnitBytes, 0, true), 0);
    assert.equal(writer.refused(), true);
    assert.deepEqual(reasons, ['cannot open for O_DIRECT (ENOENT)']);
    writer.close();
  });
});
