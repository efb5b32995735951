/** What the supervisor and its workers tell each other over the IPC channel. */
export type ToWorker = { readonly type: 'cancel'; readonly jobId: string } | { readonly type: 'shutdown' };
/** `jobs`: the downloads the worker runs now, sent whenever that changes. */
export type FromWorker = { readonly type: 'ready' } | { readonly type: 'jobs'; readonly jobIds: readonly string[] };

export function isToWorker(message: unknown): message is ToWorker {
  const type = (message as { type?: unknown } | null)?.type;
  return type === 'cancel' || type === 'shutdown';
}

export function isFromWorker(message: unknown): message is FromWorker {
  const type = (message as { type?: unknown } | null)?.type;
  return type === 'ready' || type === 'jobs';
}
