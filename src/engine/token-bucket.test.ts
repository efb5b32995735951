import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { burstBytesFor, emptyBucket, takeTokens, type BucketState } from './token-bucket.ts';

describe('takeTokens', () => {
  const cases: { name: string; state: BucketState; bytes: number; nowMs: number; rate: number; burst: number; tokens: number; waitMs: number }[] = [
    { name: 'an empty bucket makes the first bytes wait their own time', state: emptyBucket(0), bytes: 500, nowMs: 0, rate: 1000, burst: 100, tokens: -500, waitMs: 500 },
    { name: 'taking 0 bytes after the wait finds the debt paid', state: { tokens: -500, updatedAtMs: 0 }, bytes: 0, nowMs: 500, rate: 1000, burst: 100, tokens: 0, waitMs: 0 },
    { name: 'a partly paid debt waits only for the rest', state: { tokens: -500, updatedAtMs: 0 }, bytes: 0, nowMs: 200, rate: 1000, burst: 100, tokens: -300, waitMs: 300 },
    { name: 'idle time refills only up to the burst', state: emptyBucket(0), bytes: 60, nowMs: 10_000, rate: 1000, burst: 100, tokens: 40, waitMs: 0 },
    { name: 'a chunk larger than the burst goes into debt instead of being refused', state: emptyBucket(0), bytes: 1100, nowMs: 10_000, rate: 1000, burst: 100, tokens: -1000, waitMs: 1000 },
    { name: 'debt is priced at the new rate when the rate rises', state: { tokens: -500, updatedAtMs: 0 }, bytes: 0, nowMs: 100, rate: 2000, burst: 200, tokens: -300, waitMs: 150 },
    { name: 'debt is priced at the new rate when the rate falls', state: { tokens: -500, updatedAtMs: 0 }, bytes: 0, nowMs: 100, rate: 500, burst: 50, tokens: -450, waitMs: 900 },
    { name: 'saved tokens above a smaller new burst are cut to it', state: { tokens: 100, updatedAtMs: 0 }, bytes: 10, nowMs: 0, rate: 500, burst: 50, tokens: 40, waitMs: 0 },
    { name: 'waits round up to whole milliseconds', state: emptyBucket(0), bytes: 1, nowMs: 0, rate: 3000, burst: 300, tokens: -1, waitMs: 1 },
    { name: 'a clock that steps back refills nothing', state: { tokens: -100, updatedAtMs: 1000 }, bytes: 0, nowMs: 400, rate: 1000, burst: 100, tokens: -100, waitMs: 100 },
    { name: 'rate 0 is unlimited and forgives any debt', state: { tokens: -5000, updatedAtMs: 0 }, bytes: 1_000_000, nowMs: 10, rate: 0, burst: 1, tokens: 0, waitMs: 0 },
  ];
  for (const { name, state, bytes, nowMs, rate, burst, tokens, waitMs } of cases) {
    it(name, () => {
      const result = takeTokens(state, bytes, nowMs, rate, burst);
      assert.equal(result.state.tokens, tokens);
      assert.equal(result.waitMs, waitMs);
    });
  }

  it('keeps the later timestamp when the clock steps back', () => {
    assert.equal(takeTokens({ tokens: 0, updatedAtMs: 1000 }, 0, 400, 1000, 100).state.updatedAtMs, 1000);
  });

  it('holds a steady sender to the rate: 10 s of 64 KiB chunks at 1 MiB/s carry 10 MiB, not one chunk more', () => {
    const rate = 1024 * 1024;
    let state = emptyBucket(0);
    let nowMs = 0;
    let sent = 0;
    for (;;) {
      const taken = takeTokens(state, 65_536, nowMs, rate, burstBytesFor(rate));
      state = taken.state;
      if (nowMs + taken.waitMs > 10_000) break;
      nowMs += taken.waitMs;
      sent += 65_536;
    }
    assert.equal(sent, 10 * rate);
  });
});

describe('burstBytesFor', () => {
  const cases: [number, number][] = [[1_048_576, 262_144], [1000, 250], [1, 1], [0, 1]];
  for (const [rate, burst] of cases) it(`gives ${burst} bytes of burst at ${rate} B/s`, () => assert.equal(burstBytesFor(rate), burst));
});
