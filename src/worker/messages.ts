/** What the supervisor and its workers tell each other over the IPC channel. */
export type ToWorker = { readonly type: 'cancel'; readonly jobId: string } | { readonly type: 'shutdown' };
export type FromWorker = { readonly type: 'ready' } | { readonly type: 'busy'; readonly jobId: string | null };

export function isToWorker(message: unknown): message is ToWorker {
  const type = (message as { type?: unknown } | null)?.type;
  return type === 'cancel' || type === 'shutdown';
}

export function isFromWorker(message: unknown): message is FromWorker {
  const type = (message as { type?: unknown } | null)?.type;
  return type === 'ready' || type === 'busy';
}
