import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { computeRetryDelay, parseRetryAfter } from './retry-delay.ts';

describe('computeRetryDelay', () => {
  const cases = [
    { name: 'first retry, no jitter', input: { attempt: 1, baseDelayMs: 1000, maxDelayMs: 60_000, random: 0 }, expected: 500 },
    { name: 'first retry, full jitter', input: { attempt: 1, baseDelayMs: 1000, maxDelayMs: 60_000, random: 0.999999 }, expected: 1000 },
    { name: 'doubles each attempt', input: { attempt: 4, baseDelayMs: 1000, maxDelayMs: 60_000, random: 0 }, expected: 4000 },
    { name: 'capped by maxDelayMs', input: { attempt: 20, baseDelayMs: 1000, maxDelayMs: 60_000, random: 0.5 }, expected: 45_000 },
    { name: 'Retry-After longer than backoff wins', input: { attempt: 1, baseDelayMs: 1000, maxDelayMs: 60_000, random: 0, retryAfterMs: 7000 }, expected: 7000 },
    { name: 'Retry-After shorter than backoff is ignored', input: { attempt: 5, baseDelayMs: 1000, maxDelayMs: 60_000, random: 0, retryAfterMs: 10 }, expected: 8000 },
    { name: 'Retry-After is capped too', input: { attempt: 1, baseDelayMs: 1000, maxDelayMs: 60_000, random: 0, retryAfterMs: 3_600_000 }, expected: 60_000 },
    { name: 'huge attempt numbers do not overflow', input: { attempt: 5000, baseDelayMs: 1000, maxDelayMs: 300_000, random: 0 }, expected: 150_000 },
  ];
  for (const { name, input, expected } of cases) {
    it(name, () => assert.equal(computeRetryDelay(input), expected));
  }
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const cases: [string | undefined, number | undefined][] = [
    [undefined, undefined],
    ['', undefined],
    ['3', 3000],
    ['0', 0],
    ['Thu, 01 Jan 2026 00:00:10 GMT', 10_000],
    ['Wed, 31 Dec 2025 23:59:00 GMT', 0],
    ['soon', undefined],
  ];
  for (const [header, expected] of cases) {
    it(`reads ${JSON.stringify(header)} as ${expected}`, () => assert.equal(parseRetryAfter(header, now), expected));
  }
});
