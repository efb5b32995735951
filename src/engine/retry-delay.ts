/** Inputs to the retry delay: all plain values so the decision is a pure function. */
export interface RetryDelayInput {
  /** 1 for the first retry. */
  readonly attempt: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** What the origin asked for with Retry-After, if anything. */
  readonly retryAfterMs?: number | undefined;
  /** A number in [0, 1): the jitter source, passed in so tests are exact. */
  readonly random: number;
}

/**
 * Exponential backoff with "equal jitter": half the step is fixed, half random,
 * so retries spread out but never collapse to zero. A Retry-After from the
 * origin wins when it is longer (it is what the server told us), capped by maxDelayMs.
 */
export function computeRetryDelay(input: RetryDelayInput): number {
  const exponent = Math.max(0, Math.min(input.attempt - 1, 30));
  const step = Math.min(input.maxDelayMs, input.baseDelayMs * 2 ** exponent);
  const jittered = step / 2 + (step / 2) * input.random;
  const fromServer = input.retryAfterMs ?? 0;
  return Math.round(Math.min(input.maxDelayMs, Math.max(jittered, fromServer)));
}

/** Parses Retry-After (delta-seconds or an HTTP date) into ms from `nowMs`; undefined when absent or unparsable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
