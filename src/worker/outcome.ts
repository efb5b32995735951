import { MediadError } from '../errors.ts';
import type { FileInfo } from '../queue/job-record.ts';

/** What running a job came to. Only the BullMQ adapter turns this into BullMQ's signals. */
export type JobOutcome =
  | { readonly kind: 'done'; readonly file: FileInfo }
  | { readonly kind: 'retry'; readonly error: MediadError }
  | { readonly kind: 'fatal'; readonly error: MediadError }
  | { readonly kind: 'canceled' }
  /** Stopped by a daemon shutdown or a lost job lock: back to the queue without spending an attempt. */
  | { readonly kind: 'interrupted'; readonly reason: StopReason };

export type StopReason = 'canceled' | 'shutdown' | 'lock-lost';

export const done = (file: FileInfo): JobOutcome => ({ kind: 'done', file });

/** A failure becomes retry or fatal by its catalog entry. */
export function failed(error: MediadError): JobOutcome {
  return error.retryable ? { kind: 'retry', error } : { kind: 'fatal', error };
}

export function stopped(reason: StopReason): JobOutcome {
  return reason === 'canceled' ? { kind: 'canceled' } : { kind: 'interrupted', reason };
}

export function stopReasonOf(signal: AbortSignal): StopReason | undefined {
  if (!signal.aborted) return undefined;
  const reason: unknown = signal.reason;
  return reason === 'canceled' || reason === 'shutdown' || reason === 'lock-lost' ? reason : 'shutdown';
}
