/**
 * A worker must never outlive its supervisor: an orphan that keeps writing
 * could race the next daemon's worker on the same partial file. The IPC
 * channel closes the moment the supervisor dies (even by SIGKILL), and the
 * ppid check covers a channel that was never opened.
 */
export function exitWhenParentDies(onOrphaned: () => void, pollMs = 250): void {
  const parent = process.ppid;
  process.once('disconnect', onOrphaned);
  const timer = setInterval(() => {
    if (process.ppid !== parent) onOrphaned();
  }, pollMs);
  timer.unref();
}
