import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bodyReading, ScavengePacer, writeBlockBytes, writeBlockBytesFor, writeInline, writeInlineFor } from './v8-young-gc.ts';

describe('ScavengePacer', () => {
  const cases: { name: string; blocks: number[]; due: boolean[] }[] = [
    { name: 'due once the blocks add up to the step', blocks: [4, 4, 2], due: [false, false, true] },
    { name: 'what went past the step counts toward the next', blocks: [7, 7, 6], due: [false, true, true] },
    { name: 'a block of several steps is one scavenge, and the rest carries over', blocks: [25, 4, 1], due: [true, false, true] },
    { name: 'nothing in, nothing due', blocks: [0, 0], due: [false, false] },
  ];
  for (const { name, blocks, due } of cases) {
    it(name, () => {
      const pacer = new ScavengePacer(10);
      assert.deepEqual(blocks.map((bytes) => pacer.note(bytes)), due);
    });
  }
});

describe('writeBlockBytesFor', () => {
  const KiB = 1024;
  const cases: [number, number][] = [
    [0, 1024 * KiB], // none reading yet: as for one
    [1, 1024 * KiB], // one fast download: the largest block
    [2, 1024 * KiB],
    [4, 512 * KiB], // 4 connections: 2 MiB held together at most, half the 4 MiB scavenge step
    [8, 256 * KiB], // 2 downloads × 4 connections
    [64, 256 * KiB], // many slow bodies: never smaller than 256 KiB (slow links flush after 100 ms anyway)
  ];
  for (const [bodies, bytes] of cases) it(`${bodies} bodies → ${bytes / KiB} KiB`, () => assert.equal(writeBlockBytesFor(bodies), bytes));

  it('follows the bodies being read, and a body stopped twice counts once', () => {
    const before = writeBlockBytes();
    const stops = [bodyReading(), bodyReading(), bodyReading(), bodyReading()];
    assert.equal(writeBlockBytes(), 512 * KiB);
    stops[0]!();
    stops[0]!();
    stops[1]!();
    assert.equal(writeBlockBytes(), 1024 * KiB);
    for (const stop of stops) stop();
    assert.equal(writeBlockBytes(), before);
  });
});

describe('writeInlineFor', () => {
  const cases: [number, boolean][] = [
    [0, true], // the first block of the first body
    [1, true], // one download over one connection: nothing else for the JS thread to do meanwhile
    [2, false], // the pool writes one body's block while the JS thread reads the other
    [4, false],
    [16, false],
  ];
  for (const [bodies, inline] of cases) it(`${bodies} bodies → ${inline ? 'in line' : 'thread pool'}`, () => assert.equal(writeInlineFor(bodies), inline));

  it('follows the bodies being read', () => {
    const first = bodyReading();
    assert.equal(writeInline(), true);
    const second = bodyReading();
    assert.equal(writeInline(), false);
    second();
    assert.equal(writeInline(), true);
    first();
  });
});
