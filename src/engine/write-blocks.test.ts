import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync, writeSync, writevSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { firstBytes, withoutFirstBytes, writeBlocksAt, writeStagedAt, type AroundWriter } from './write-blocks.ts';
import { tempDirs } from '../../test/helpers/temp-dirs.ts';

const tempDir = tempDirs('mediad-wb-');

const bufs = (...texts: string[]) => texts.map((text) => Buffer.from(text));
const texts = (blocks: readonly Buffer[]) => blocks.map((block) => block.toString());

describe('firstBytes', () => {
  const cases: { name: string; blocks: string[]; size: number; expected: string[] }[] = [
    { name: 'all of them when size covers them', blocks: ['abc', 'de'], size: 5, expected: ['abc', 'de'] },
    { name: 'cuts inside a block', blocks: ['abc', 'de'], size: 4, expected: ['abc', 'd'] },
    { name: 'stops at a block boundary', blocks: ['abc', 'de'], size: 3, expected: ['abc'] },
    { name: 'nothing for size 0', blocks: ['abc'], size: 0, expected: [] },
  ];
  for (const { name, blocks, size, expected } of cases) it(name, () => assert.deepEqual(texts(firstBytes(bufs(...blocks), size)), expected));

  it('joins more than 256 tiny blocks into one, so writev stays under IOV_MAX', () => {
    const many = Array.from({ length: 300 }, (_, i) => Buffer.from([i % 256]));
    const joined = firstBytes(many, 299);
    assert.equal(joined.length, 1);
    assert.deepEqual(joined[0], Buffer.concat(many).subarray(0, 299));
  });
});

describe('withoutFirstBytes', () => {
  const cases: { name: string; blocks: string[]; bytes: number; expected: string[] }[] = [
    { name: 'drops whole blocks', blocks: ['abc', 'de'], bytes: 3, expected: ['de'] },
    { name: 'starts inside a block', blocks: ['abc', 'de'], bytes: 1, expected: ['bc', 'de'] },
    { name: 'keeps everything for 0', blocks: ['abc', 'de'], bytes: 0, expected: ['abc', 'de'] },
    { name: 'nothing left', blocks: ['abc', 'de'], bytes: 5, expected: [] },
  ];
  for (const { name, blocks, bytes, expected } of cases) it(name, () => assert.deepEqual(texts(withoutFirstBytes(bufs(...blocks), bytes)), expected));
});

describe('writeBlocksAt', () => {
  it('writes the first size bytes at the position through short writes, reporting each part', async () => {
    const target = path.join(await tempDir(), 'data');
    const file = await open(target, 'w+');
    try {
      await file.write(Buffer.from('0123456789'), 0, 10, 0);
      // a nearly full disk: every writev writes at most 3 bytes
      const short = { writev: (blocks: Buffer[], position: number) => file.writev(firstBytes(blocks, 3), position) };
      const parts: number[] = [];
      await writeBlocksAt(short, bufs('ab', 'cdef', 'gh'), 7, 2, (bytes) => parts.push(bytes));
      assert.deepEqual(parts, [3, 3, 1]);
    } finally {
      await file.close();
    }
    assert.equal(await readFile(target, 'utf8'), '01abcdefg9', 'bytes 2-8 replaced, nothing past size written');
  });

  it('in line: every part is in the file before the call returns, through short writes, and writev is never used', async () => {
    const target = path.join(await tempDir(), 'data');
    const fd = openSync(target, 'w+');
    try {
      writeSync(fd, Buffer.from('0123456789'), 0, 10, 0);
      const short = {
        writev: () => Promise.reject(new Error('the thread pool was used')),
        writevSync: (blocks: Buffer[], position: number) => writevSync(fd, firstBytes(blocks, 3), position),
      };
      const parts: number[] = [];
      const done = writeBlocksAt(short, bufs('ab', 'cdef', 'gh'), 7, 2, (bytes) => parts.push(bytes), true);
      assert.deepEqual(parts, [3, 3, 1], 'all written synchronously');
      assert.equal(readFileSync(target, 'utf8'), '01abcdefg9');
      await done;
    } finally {
      closeSync(fd);
    }
  });

  it('in line falls back to writev for a file without writevSync', async () => {
    const target = path.join(await tempDir(), 'data');
    const file = await open(target, 'w+');
    try {
      await writeBlocksAt(file, bufs('ab', 'cd'), 4, 0, () => undefined, true);
    } finally {
      await file.close();
    }
    assert.equal(await readFile(target, 'utf8'), 'abcd');
  });
});

describe('writeStagedAt', () => {
  /** A real file whose writes around the cache are recorded (and done with pwrite), up to `aroundLimit` bytes each. */
  const recordingFile = (fd: number, aroundLimit = Number.POSITIVE_INFINITY) => {
    const calls: string[] = [];
    const file: AroundWriter = {
      writev: async (blocks, position) => ({ bytesWritten: writevSync(fd, blocks, position) }),
      writevSync: (blocks, position) => {
        const bytes = writevSync(fd, blocks, position);
        calls.push(`cache ${position}+${bytes}`);
        return bytes;
      },
      writeAround: async (block, offset, length, position) => {
        const bytes = writeSync(fd, block, offset, Math.min(length, aroundLimit), position);
        calls.push(`around ${position}+${bytes} from ${offset}`);
        return bytes;
      },
      aroundRefused: () => false,
      alignedBlock: () => undefined,
      releaseBlock: () => undefined,
    };
    return { file, calls };
  };
  const block = Buffer.from('..abcdefghijklmnop');

  const cases: { name: string; aroundLimit?: number; calls: string[]; parts: number[] }[] = [
    {
      name: 'writes the head through the cache, then the part around it, then the rest, reporting each in order',
      calls: ['cache 6+2', 'around 8+8 from 4', 'cache 16+5'], parts: [2, 8, 5],
    },
    {
      name: 'writes through the cache whatever the file would not write around it',
      aroundLimit: 3, calls: ['cache 6+2', 'around 8+3 from 4', 'cache 11+10'], parts: [2, 3, 10],
    },
  ];
  for (const { name, aroundLimit, calls: expectedCalls, parts: expectedParts } of cases) {
    it(name, async () => {
      const target = path.join(await tempDir(), 'data');
      const fd = openSync(target, 'w+');
      const { file, calls } = recordingFile(fd, aroundLimit);
      const parts: number[] = [];
      try {
        await writeStagedAt(file, block, 2, 15, { head: 2, direct: 8 }, 6, (bytes) => parts.push(bytes), false);
      } finally {
        closeSync(fd);
      }
      assert.deepEqual(calls, expectedCalls);
      assert.deepEqual(parts, expectedParts);
      assert.equal(readFileSync(target, 'latin1').slice(6), 'abcdefghijklmno');
    });
  }
});
