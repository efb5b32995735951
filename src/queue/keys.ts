/** Every Redis key mediad writes, in one place. BullMQ's own keys live under `${prefix}:bull`. */
export const keyPrefix = 'mediad';
export const queueName = 'downloads';
export const bullPrefix = `${keyPrefix}:bull`;
export const jobKey = (id: string) => `${keyPrefix}:job:${id}`;
export const jobIndexKey = `${keyPrefix}:jobs`;
export const jobSeqKey = `${keyPrefix}:seq`;
export const idempotencyKey = (key: string) => `${keyPrefix}:idem:${key}`;
/**
 * A list's Idempotency-Key (POST /v1/downloads/batch) lives apart from single downloads' keys, named by the sha256 of
 * the client's key: no single key, and no ':' inside a key, can alias a list or one of its items.
 */
export const listIdempotencyKey = (keyHash: string) => `${keyPrefix}:idem-list:${keyHash}`;
export const listItemIdempotencyKey = (keyHash: string, index: number) => `${keyPrefix}:idem-list:${keyHash}:${index}`;
/** Jobs a worker is running right now; a fresh supervisor requeues what it finds here (their workers died with the last daemon). */
export const runningSetKey = `${keyPrefix}:running`;
/** Hash `{ globalBytesPerSecond }`: written from config at daemon start and by PUT /v1/limits, read by every worker. */
export const limitsKey = `${keyPrefix}:limits`;
/** Downloads running now (zset: member `${pid}:${jobId}:${capBytesPerSecond}`, score = last heartbeat ms); they share the global limit. */
export const limitsActiveKey = `${keyPrefix}:limits:active`;
