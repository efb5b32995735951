/**
 * The engine's `throttle` for one download: a token bucket whose rate is read
 * live, so a limit changed elsewhere (API, another worker starting) applies to
 * the bytes still waiting. Callers (the segments of a download) queue in order;
 * only the head waits, re-checking the rate at least every `recheckMs`.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { burstBytesFor, emptyBucket, takeTokens, type BucketState } from './token-bucket.ts';

export interface RateLimiterDeps {
  readonly now: () => number;
  /** The limit right now, bytes per second; 0 = unlimited. Read before each take and after each sleep. */
  readonly rateBytesPerSecond: () => number;
  /** Longest sleep before the rate is read again; default 200 ms. */
  readonly recheckMs?: number;
}

export interface RateLimiter {
  /**
   * Resolves when `bytes` may be written; rejects promptly (with the signal's reason) when `signal` aborts.
   * Answers `undefined` when they may be written now (no limit, nobody waiting): the engine then goes on
   * without a promise per chunk.
   */
  throttle(bytes: number, signal: AbortSignal): Promise<void> | undefined;
}

/** Builds one limiter; its bucket starts empty, so a download never starts above its limit. */
export function createRateLimiter(deps: RateLimiterDeps): RateLimiter {
  const recheckMs = deps.recheckMs ?? 200;
  let state: BucketState = emptyBucket(deps.now());
  let tail: Promise<void> = Promise.resolve();
  let queued = 0;

  const take = (bytes: number): number => {
    const rate = deps.rateBytesPerSecond();
    const result = takeTokens(state, bytes, deps.now(), rate, burstBytesFor(rate));
    state = result.state;
    return result.waitMs;
  };

  const payFor = async (bytes: number, signal: AbortSignal): Promise<void> => {
    // taking 0 after each sleep re-prices the remaining debt at the current rate
    for (let waitMs = take(bytes); waitMs > 0; waitMs = take(0)) await sleep(Math.min(waitMs, recheckMs), signal);
  };

  return {
    throttle(bytes, signal) {
      if (signal.aborted) return Promise.reject(signal.reason);
      if (queued === 0 && deps.rateBytesPerSecond() <= 0) {
        state = emptyBucket(deps.now()); // unlimited and nobody waiting: no queue, no timers
        return undefined;
      }
      const previous = tail;
      const turn = (async () => {
        await settledOrAborted(previous, signal);
        await payFor(bytes, signal);
      })();
      queued++;
      tail = turn.catch(() => undefined).finally(() => { queued--; });
      return turn;
    },
  };
}

async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch (error) {
    signal.throwIfAborted(); // the signal's own reason, not a generic AbortError
    throw error;
  }
}

/** Waits for the caller ahead in the queue, or rejects as soon as `signal` aborts. */
async function settledOrAborted(previous: Promise<void>, signal: AbortSignal): Promise<void> {
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([previous, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}
