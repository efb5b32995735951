import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addSample, bytesPerSecond, etaSeconds, type Sample } from './progress-meter.ts';

describe('bytesPerSecond', () => {
  const cases: [string, Sample[], number][] = [
    ['no samples', [], 0],
    ['one sample', [{ atMs: 0, bytes: 100 }], 0],
    ['steady 1 MB/s', [{ atMs: 0, bytes: 0 }, { atMs: 1000, bytes: 1e6 }, { atMs: 2000, bytes: 2e6 }], 1e6],
    ['a restart from zero never reads as negative speed', [{ atMs: 0, bytes: 5e6 }, { atMs: 1000, bytes: 0 }], 0],
  ];
  for (const [name, samples, expected] of cases) it(name, () => assert.equal(bytesPerSecond(samples), expected));
});

describe('addSample', () => {
  it('drops samples older than the window but keeps one spanning it', () => {
    let samples: Sample[] = [];
    for (let t = 0; t <= 10_000; t += 1000) samples = addSample(samples, { atMs: t, bytes: t * 10 }, 5000);
    assert.equal(samples[0]?.atMs, 5000);
    assert.equal(bytesPerSecond(samples), 10_000);
  });
});

describe('etaSeconds', () => {
  const cases: [number, number | null, number, number | null][] = [
    [0, 1000, 100, 10],
    [950, 1000, 100, 1],
    [1000, 1000, 100, 0],
    [0, null, 100, null],
    [0, 1000, 0, null],
  ];
  for (const [done, total, speed, eta] of cases) it(`${done}/${total} at ${speed} B/s → ${eta}`, () => assert.equal(etaSeconds(done, total, speed), eta));
});
