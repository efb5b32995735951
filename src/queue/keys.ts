/** Every Redis key mediad writes, in one place. BullMQ's own keys live under `${prefix}:bull`. */
export const keyPrefix = 'mediad';
export const queueName = 'downloads';
export const bullPrefix = `${keyPrefix}:bull`;
export const jobKey = (id: string) => `${keyPrefix}:job:${id}`;
export const jobIndexKey = `${keyPrefix}:jobs`;
export const jobSeqKey = `${keyPrefix}:seq`;
export const idempotencyKey = (key: string) => `${keyPrefix}:idem:${key}`;
export const limitsKey = `${keyPrefix}:limits`;
