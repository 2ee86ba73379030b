export { RedisHealthStore, type RedisHealthStoreOptions, type StoreChange } from './redis-health-store.js';
export type { RedisClientLike, RedisSubscriberLike } from './client.js';
export type { IoredisLike } from './ioredis.js';
export type { LocalFaultGuardOptions } from './local-fault-guard.js';
