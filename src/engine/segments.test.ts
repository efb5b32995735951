import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chooseSplit, isComplete, planAfterProbe, planSegments, roomAt, type Segment } from './segments.ts';

const MiB = 1024 * 1024;

function coversExactly(segments: Segment[], total: number): boolean {
  let next = 0;
  for (const s of segments) {
    if (s.start !== next || s.end === null || s.end <= s.start) return false;
    next = s.end;
  }
  return next === total;
}

describe('planSegments', () => {
  const cases = [
    { name: 'small files stay on one connection', total: 3 * MiB, connections: 4, min: 4 * MiB, count: 1 },
    { name: 'splits a big file into one segment per connection', total: 64 * MiB, connections: 4, min: 4 * MiB, count: 4 },
    { name: 'no more segments than the minimum size allows', total: 10 * MiB, connections: 16, min: 4 * MiB, count: 2 },
    { name: 'uneven totals still cover every byte once', total: 64 * MiB + 3, connections: 3, min: MiB, count: 3 },
    { name: 'one connection is one segment', total: 64 * MiB, connections: 1, min: MiB, count: 1 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const segments = planSegments(c.total, c.connections, c.min);
      assert.equal(segments.length, c.count);
      assert.ok(coversExactly(segments, c.total));
    });
  }
  it('an unknown length is one open-ended segment', () => assert.deepEqual(planSegments(null, 4, MiB), [{ start: 0, end: null, written: 0 }]));
  it('an empty file is one empty, complete segment', () => {
    const [only] = planSegments(0, 4, MiB);
    assert.deepEqual(only, { start: 0, end: 0, written: 0 });
    assert.equal(isComplete(only as Segment), true);
  });
});

describe('planAfterProbe', () => {
  it('keeps the probe as segment 0 and splits the rest over the other connections', () => {
    assert.deepEqual(planAfterProbe(16 * MiB, 4 * MiB, 4, MiB).map((s) => [s.start, s.end]), [[0, 4 * MiB], [4 * MiB, 8 * MiB], [8 * MiB, 12 * MiB], [12 * MiB, 16 * MiB]]);
  });
  it('is one segment when the probe covered the whole file', () => {
    assert.deepEqual(planAfterProbe(3 * MiB, 4 * MiB, 4, MiB), [{ start: 0, end: 3 * MiB, written: 0 }]);
  });
  it('covers every byte once for uneven sizes', () => {
    const segments = planAfterProbe(10 * MiB + 7, 4 * MiB, 3, MiB);
    assert.equal(segments[0]?.start, 0);
    for (let i = 1; i < segments.length; i++) assert.equal(segments[i]?.start, segments[i - 1]?.end);
    assert.equal(segments[segments.length - 1]?.end, 10 * MiB + 7);
  });
});

describe('chooseSplit', () => {
  it('cuts the busy segment with the most bytes left in half', () => {
    const segments: Segment[] = [
      { start: 0, end: 10 * MiB, written: 10 * MiB },
      { start: 10 * MiB, end: 30 * MiB, written: 2 * MiB },
      { start: 30 * MiB, end: 40 * MiB, written: 0 },
    ];
    assert.deepEqual(chooseSplit(segments, new Set([1, 2]), MiB), { index: 1, at: 12 * MiB + 9 * MiB });
  });
  it('cuts beyond the bytes a connection holds but has not written yet', () => {
    const segments: Segment[] = [{ start: 0, end: 64 * 1024 * 8, written: 0 }];
    // 512 KiB left with minimum 64 KiB: without the held 256 KiB the cut would land at 256 KiB, inside them
    assert.deepEqual(chooseSplit(segments, new Set([0]), 64 * 1024, () => 256 * 1024), { index: 0, at: 384 * 1024 });
    assert.equal(chooseSplit(segments, new Set([0]), 64 * 1024, () => 400 * 1024), undefined);
  });
  it('leaves segments too small to share', () => {
    const segments: Segment[] = [{ start: 0, end: 3 * MiB, written: 2 * MiB }];
    assert.equal(chooseSplit(segments, new Set([0]), MiB), undefined);
  });
  it('never cuts an idle or open-ended segment', () => {
    const segments: Segment[] = [{ start: 0, end: 100 * MiB, written: 0 }, { start: 0, end: null, written: 0 }];
    assert.equal(chooseSplit(segments, new Set([1]), MiB), undefined);
  });
});

describe('roomAt', () => {
  const cases: [string, Segment, number, number, number][] = [
    ['unknown end: all of it', { start: 0, end: null, written: 0 }, 500, 100, 100],
    ['well inside: all of it', { start: 0, end: 1000, written: 0 }, 100, 200, 200],
    ['crossing the end: up to it', { start: 0, end: 1000, written: 0 }, 900, 200, 100],
    ['exactly at the end: none', { start: 0, end: 1000, written: 0 }, 1000, 50, 0],
    ['past an end a split moved back: none', { start: 0, end: 600, written: 0 }, 800, 50, 0],
  ];
  for (const [name, segment, position, bytes, expected] of cases) {
    it(name, () => assert.equal(roomAt(segment, position, bytes), expected));
  }
});
