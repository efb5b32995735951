import { setTimeout as delay } from 'node:timers/promises';

/** Options for {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this long, counted from the first probe. */
  timeoutMs: number;
  /** Pause between probes; default 50 ms. */
  intervalMs?: number;
  /** What we are waiting for, in words; it names the timeout error. */
  what: string;
  /** Stop early (e.g. the process we wait on exited); rejects with the signal's reason. */
  signal?: AbortSignal;
}

type Falsy = undefined | false | null;

/**
 * Poll `probe` until it returns a truthy value and return that value.
 * A probe that throws is remembered and retried; a probe still pending at the deadline
 * does not extend it. On timeout the error names `what` and the last value or error seen.
 */
export async function waitFor<T>(probe: () => Promise<T | Falsy> | T | Falsy, opts: WaitForOptions): Promise<T> {
  const intervalMs = opts.intervalMs ?? 50;
  const deadline = Date.now() + opts.timeoutMs;
  let last: { value: unknown } | { error: unknown } | undefined;
  for (;;) {
    opts.signal?.throwIfAborted();
    const outcome = await probeBefore(probe, deadline, opts.signal);
    opts.signal?.throwIfAborted();
    if (outcome.kind === 'value') {
      if (outcome.value) return outcome.value;
      last = { value: outcome.value };
    } else if (outcome.kind === 'error') {
      last = { error: outcome.error };
    }
    const remainingMs = deadline - Date.now();
    if (outcome.kind === 'timeout' || remainingMs <= 0) throw timeoutError(opts, last);
    await pause(Math.min(intervalMs, remainingMs), opts.signal);
  }
}

/** Sleep between probes; an abort surfaces the signal's own reason, not a generic AbortError. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : {});
  } catch (error) {
    signal?.throwIfAborted();
    throw error;
  }
}

type ProbeOutcome<T> = { kind: 'value'; value: T | Falsy } | { kind: 'error'; error: unknown } | { kind: 'timeout' };

/** Run one probe, but stop waiting for it at the deadline (it may hang on a stalled socket). */
async function probeBefore<T>(
  probe: () => Promise<T | Falsy> | T | Falsy,
  deadline: number,
  signal: AbortSignal | undefined,
): Promise<ProbeOutcome<T>> {
  const attempt = (async (): Promise<ProbeOutcome<T>> => {
    try {
      return { kind: 'value', value: await probe() };
    } catch (error) {
      return { kind: 'error', error };
    }
  })();
  const timer = new AbortController();
  const expiry = delay(Math.max(0, deadline - Date.now()), { kind: 'timeout' } as const, {
    signal: signal ? AbortSignal.any([timer.signal, signal]) : timer.signal,
  }).catch(() => ({ kind: 'timeout' }) as const);
  try {
    return await Promise.race([attempt, expiry]);
  } finally {
    timer.abort();
  }
}

function timeoutError(opts: WaitForOptions, last: { value: unknown } | { error: unknown } | undefined): Error {
  let seen = 'nothing (no probe finished)';
  if (last && 'error' in last) seen = `error: ${describeError(last.error)}`;
  else if (last) seen = `value: ${describeValue(last.value)}`;
  const cause = last && 'error' in last ? last.error : undefined;
  return new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.what}; last ${seen}`, { cause });
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function describeValue(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  // keep the error readable when the probe returns a whole job record
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}
