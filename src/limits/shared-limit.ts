/**
 * The worker side of the global limit: while a download runs, its process
 * heartbeats it into the active set and, in the same round trip, reads the
 * global limit and everyone's caps, every `refreshIntervalMs` (not per chunk).
 * The download's rate is then its fair share, computed locally.
 * While the process knows there is no global limit (read within the last
 * interval), a new download starts at once and joins on its first heartbeat:
 * a small file is done before that and costs Redis nothing here.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { limitsActiveKey, limitsKey } from '../queue/keys.ts';
import { capOfMember, fairShareBytesPerSecond, mayStartBeforeJoining, memberOf, parseGlobalLimit, type GlobalLimitReading } from './fair-share.ts';
import { globalLimitField } from './limits-store.ts';

export interface SharedLimitDeps {
  readonly redis: Pick<Redis, 'multi' | 'zrem'>;
  readonly now: () => number;
  /** Names this process in the active set (its pid). */
  readonly processId: string;
  /** Global limit until Redis first answers, and whenever the hash holds none (the configured value). */
  readonly fallbackBytesPerSecond: number;
  /** Default 500 ms: a changed limit or a new download applies within about that. */
  readonly refreshIntervalMs?: number;
  /** Default 3000 ms: heartbeats older than this are a dead worker's and are ignored. */
  readonly staleAfterMs?: number;
  /** Default 1000 ms: how long `join` waits for its first answer before going on with the last known limit. */
  readonly joinTimeoutMs?: number;
  readonly onError: (error: unknown) => void;
}

export interface SharedLimit {
  /**
   * Registers a running download; never rejects. `capBytesPerSecond` is its own limit (0 = none).
   * When it shares a global limit with others, it resolves one refresh interval later, once they
   * have lowered their shares: starting at once would overshoot the limit for up to that interval.
   */
  join(jobId: string, capBytesPerSecond: number): Promise<Membership>;
  /** The global limit was changed (the supervisor says so): the next join asks Redis before it starts. */
  limitChanged(): void;
}

export interface Membership {
  /** This download's rate now: its fair share of the global limit, within its own cap; 0 = unlimited. */
  rateBytesPerSecond(): number;
  /** Stops the heartbeat and leaves the set at once, so the others' shares grow without waiting for staleness. */
  leave(): void;
}

const settleMarginMs = 100; // others refresh every interval plus a round trip; this covers the round trip

interface Snapshot {
  readonly globalBytesPerSecond: number;
  readonly activeCaps: number[];
}

/** One per worker process. */
export function createSharedLimit(deps: SharedLimitDeps): SharedLimit {
  const refreshIntervalMs = deps.refreshIntervalMs ?? 500;
  const staleAfterMs = deps.staleAfterMs ?? 3000;
  const joinTimeoutMs = deps.joinTimeoutMs ?? 1000;
  let lastGlobal = deps.fallbackBytesPerSecond;
  let lastReading: GlobalLimitReading | undefined;
  let limitChanges = 0; // a reply to a read sent before the last change must not stand for the limit after it

  const readShared = async (member: string): Promise<Snapshot> => {
    const nowMs = deps.now();
    const changesAtSend = limitChanges;
    const cutoff = nowMs - staleAfterMs;
    const replies = await deps.redis.multi()
      .zadd(limitsActiveKey, nowMs, member)
      .zremrangebyscore(limitsActiveKey, '-inf', `(${cutoff}`)
      .zrangebyscore(limitsActiveKey, cutoff, '+inf')
      .hget(limitsKey, globalLimitField)
      .pexpire(limitsActiveKey, staleAfterMs * 2) // the set vanishes on its own if every worker dies
      .exec();
    const failed = replies?.find(([error]) => error);
    if (!replies || failed) throw failed?.[0] ?? new Error('limits transaction was discarded');
    const members = replies[2]?.[1] as string[];
    const globalBytesPerSecond = parseGlobalLimit(replies[3]?.[1] as string | null, deps.fallbackBytesPerSecond);
    if (changesAtSend === limitChanges) {
      lastGlobal = globalBytesPerSecond;
      lastReading = { atMs: nowMs, globalBytesPerSecond };
    }
    return { globalBytesPerSecond, activeCaps: members.map(capOfMember) }; // ours is among them: the ZADD ran first
  };

  return {
    async join(jobId, capBytesPerSecond) {
      const member = memberOf(deps.processId, jobId, capBytesPerSecond);
      let rate = fairShareBytesPerSecond(lastGlobal, [capBytesPerSecond], capBytesPerSecond);
      let left = false;
      let registered = false; // a heartbeat's ZADD was sent: leave() must take the member out again
      let timer: NodeJS.Timeout | undefined;
      const refresh = async (): Promise<Snapshot | undefined> => {
        registered = true;
        try {
          const shared = await readShared(member);
          if (!left) rate = fairShareBytesPerSecond(shared.globalBytesPerSecond, shared.activeCaps, capBytesPerSecond);
          return shared;
        } catch (error) {
          deps.onError(error); // keep the last known rate: an outage neither stops downloads nor lifts the limit
          return undefined;
        }
      };
      const loop = async () => {
        await refresh();
        if (!left) timer = setTimeout(loop, refreshIntervalMs).unref();
      };
      if (!mayStartBeforeJoining(lastReading, deps.now(), refreshIntervalMs)) {
        const first = await within(refresh(), joinTimeoutMs);
        if (first && first.globalBytesPerSecond > 0 && first.activeCaps.length > 1) {
          // the others still run at the share they had before we came; after one of their refreshes they have made room
          await delay(refreshIntervalMs + settleMarginMs);
          await within(refresh(), joinTimeoutMs);
        }
      }
      timer = setTimeout(loop, refreshIntervalMs).unref();
      return {
        rateBytesPerSecond: () => rate,
        leave() {
          if (left) return;
          left = true;
          clearTimeout(timer);
          if (registered) deps.redis.zrem(limitsActiveKey, member).catch(deps.onError);
        },
      };
    },
    limitChanged() {
      limitChanges++;
      lastReading = undefined;
    },
  };
}

/** `promise`'s value, or undefined once `timeoutMs` passed (it goes on in the background). */
async function within<T>(promise: Promise<T>, timeoutMs: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => { timer = setTimeout(resolve, timeoutMs, undefined).unref(); });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
