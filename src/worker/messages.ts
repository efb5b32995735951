/** What the supervisor and its workers tell each other over the IPC channel. */
/** `limits-changed`: the global bandwidth limit was changed (PUT /v1/limits); new downloads must read it before they start. */
export type ToWorker = { readonly type: 'cancel'; readonly jobId: string } | { readonly type: 'limits-changed' } | { readonly type: 'shutdown' };
/** `jobs`: the downloads the worker runs now, sent within 50 ms of a change (changes in between are coalesced). */
export type FromWorker = { readonly type: 'ready' } | { readonly type: 'jobs'; readonly jobIds: readonly string[] };

export function isToWorker(message: unknown): message is ToWorker {
  const type = (message as { type?: unknown } | null)?.type;
  return type === 'cancel' || type === 'limits-changed' || type === 'shutdown';
}

export function isFromWorker(message: unknown): message is FromWorker {
  const type = (message as { type?: unknown } | null)?.type;
  return type === 'ready' || type === 'jobs';
}
