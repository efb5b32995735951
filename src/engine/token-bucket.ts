/**
 * A pure token bucket that may go into debt: taking more tokens than it holds
 * is allowed and answered with how long to wait until the debt is paid. So a
 * chunk larger than the burst still passes, and a rate change mid-wait is
 * priced at the new rate (the debt is in bytes, not in milliseconds).
 */

/** Tokens (bytes) in the bucket, negative while in debt, as of `updatedAtMs`. */
export interface BucketState {
  readonly tokens: number;
  readonly updatedAtMs: number;
}

export interface TakeResult {
  readonly state: BucketState;
  /** How long the caller must wait before writing the bytes it took; 0 = at once. */
  readonly waitMs: number;
}

/** Burst allowance: 250 ms of traffic makes up for pauses that long (fsync, GC) and lets a 10 s window exceed the rate by 2.5% at most. */
export const burstSeconds = 0.25;

/** The burst (largest saved-up allowance) for a rate; at least 1 byte so the bucket can hold something. */
export function burstBytesFor(rateBytesPerSecond: number): number {
  return Math.max(1, Math.ceil(rateBytesPerSecond * burstSeconds));
}

/** An empty bucket: the first bytes already wait, so a download never starts above its limit. */
export function emptyBucket(nowMs: number): BucketState {
  return { tokens: 0, updatedAtMs: nowMs };
}

/**
 * Refills the bucket up to `burstBytes` for the time since the last call, takes
 * `bytes`, and says how long to wait. `rateBytesPerSecond <= 0` means unlimited:
 * no wait, and any debt is forgiven. Taking 0 bytes asks "how long until my debt is paid".
 */
export function takeTokens(state: BucketState, bytes: number, nowMs: number, rateBytesPerSecond: number, burstBytes: number): TakeResult {
  if (rateBytesPerSecond <= 0) return { state: emptyBucket(nowMs), waitMs: 0 };
  const elapsedMs = Math.max(0, nowMs - state.updatedAtMs); // a clock that steps back refills nothing
  const refilled = Math.min(burstBytes, state.tokens + (elapsedMs * rateBytesPerSecond) / 1000);
  const tokens = refilled - bytes;
  const waitMs = tokens < 0 ? Math.ceil((-tokens * 1000) / rateBytesPerSecond) : 0;
  return { state: { tokens, updatedAtMs: Math.max(nowMs, state.updatedAtMs) }, waitMs };
}
