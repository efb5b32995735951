/**
 * Pure decisions of the shared bandwidth limit: how the global limit splits
 * among the downloads active in any worker process, and how a download names
 * itself (with its own cap) in the Redis set of active downloads.
 */

/** Limits are bytes per second; 0 (or less) means unlimited. */
const asCeiling = (bytesPerSecond: number) => (bytesPerSecond > 0 ? bytesPerSecond : Number.POSITIVE_INFINITY);

/**
 * Max-min fair share ("water filling"): downloads capped below an equal share
 * keep their cap and the rest of the global limit is split equally among the
 * others, so a slow per-job limit does not waste the global one.
 * `activeCaps` are the caps of every active download, this one included.
 * Returns this download's rate: at least 1 B/s when anything limits it, 0 when nothing does.
 */
export function fairShareBytesPerSecond(globalBytesPerSecond: number, activeCaps: readonly number[], ownCap: number): number {
  if (globalBytesPerSecond <= 0) return Math.max(0, ownCap);
  const caps = activeCaps.map(asCeiling).sort((a, b) => a - b);
  let remaining = globalBytesPerSecond;
  let sharing = caps.length;
  for (const cap of caps) {
    if (cap >= remaining / sharing) break; // this one and all larger ones take the equal level
    remaining -= cap;
    sharing--;
  }
  const level = sharing > 0 ? remaining / sharing : globalBytesPerSecond;
  return Math.max(1, Math.floor(Math.min(level, asCeiling(ownCap)))); // flooring to 0 would read as "unlimited"
}

/** The per-job limit from a job's options (`rateLimit`, bytes per second); 0 when it has none. */
export function jobLimitOf(options: Readonly<Record<string, string | number>>): number {
  const limit = options['rateLimit'];
  return typeof limit === 'number' && Number.isFinite(limit) && limit > 0 ? Math.floor(limit) : 0;
}

/** A download's member in the active set: `${processId}:${jobId}:${capBytesPerSecond}`. */
export function memberOf(processId: string, jobId: string, capBytesPerSecond: number): string {
  return `${processId}:${jobId}:${capBytesPerSecond}`;
}

/** The cap a member carries; a malformed one counts as uncapped, which takes an equal share and never more. */
export function capOfMember(member: string): number {
  const cap = Number(member.slice(member.lastIndexOf(':') + 1));
  return Number.isInteger(cap) && cap > 0 ? cap : 0;
}

/** The global limit as stored in Redis; `fallback` when absent or malformed. */
export function parseGlobalLimit(raw: string | null | undefined, fallback: number): number {
  if (raw === null || raw === undefined || !/^\d+$/.test(raw)) return fallback;
  const value = Number(raw);
  return Number.isSafeInteger(value) ? value : fallback;
}

/** What a worker process last read of the global limit, and when. */
export interface GlobalLimitReading {
  readonly atMs: number;
  readonly globalBytesPerSecond: number;
}

/**
 * Whether a new download may start at its own cap without a Redis round trip first: only when this process
 * read "no global limit" within the last refresh interval (and no limit change was announced since). It then
 * joins the active set on its first heartbeat, one interval later, like a running download learns a new limit;
 * most small files are done before that and never touch the set. With a global limit it must join first: its
 * share depends on everyone else.
 */
export function mayStartBeforeJoining(last: GlobalLimitReading | undefined, nowMs: number, refreshIntervalMs: number): boolean {
  return last !== undefined && last.globalBytesPerSecond <= 0 && nowMs >= last.atMs && nowMs - last.atMs < refreshIntervalMs;
}
