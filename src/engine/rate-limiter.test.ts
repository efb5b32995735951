import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { createRateLimiter } from './rate-limiter.ts';

const elapsedSince = (startMs: number) => performance.now() - startMs;

describe('createRateLimiter', () => {
  it('passes at once when unlimited: no call returns a promise, so nothing can wait', () => {
    const limiter = createRateLimiter({ now: Date.now, rateBytesPerSecond: () => 0 });
    const signal = new AbortController().signal;
    for (let i = 0; i < 1000; i++) assert.equal(limiter.throttle(1_000_000, signal), undefined, `call ${i}`);
  });

  it('makes concurrent callers share the rate: 4 callers × 5 × 1000 B at 40 kB/s take about 0.5 s', async () => {
    const limiter = createRateLimiter({ now: Date.now, rateBytesPerSecond: () => 40_000 });
    const signal = new AbortController().signal;
    const started = performance.now();
    await Promise.all([0, 1, 2, 3].map(async () => {
      for (let i = 0; i < 5; i++) await limiter.throttle(1000, signal);
    }));
    const elapsedMs = elapsedSince(started);
    assert.ok(elapsedMs >= 490 && elapsedMs < 700, `took ${elapsedMs} ms`);
  });

  it('rejects a waiting caller and a queued one promptly, with the signal reason', async () => {
    const limiter = createRateLimiter({ now: Date.now, rateBytesPerSecond: () => 1000 });
    const controller = new AbortController();
    const started = performance.now();
    const head = limiter.throttle(10_000, controller.signal); // 10 s at this rate
    const queued = limiter.throttle(10, controller.signal);
    setTimeout(() => controller.abort('canceled'), 50);
    await assert.rejects(Promise.resolve(head), (reason: unknown) => reason === 'canceled');
    await assert.rejects(Promise.resolve(queued), (reason: unknown) => reason === 'canceled');
    assert.ok(elapsedSince(started) < 300);
  });

  it('re-prices a wait when the rate changes mid-wait', async () => {
    let rate = 1000;
    const limiter = createRateLimiter({ now: Date.now, rateBytesPerSecond: () => rate, recheckMs: 100 });
    const started = performance.now();
    const waiting = limiter.throttle(10_000, new AbortController().signal); // 10 s at 1000 B/s
    await delay(150);
    rate = 1_000_000; // the rest takes ~10 ms now
    await waiting;
    assert.ok(elapsedSince(started) < 400, `took ${elapsedSince(started)} ms`);
  });
});
