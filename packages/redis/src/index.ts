export { RedisHealthStore, type RedisHealthStoreOptions, type StoreChange } from './redis-health-store.js';
export type { RedisClientLike, RedisSubscriberLike } from './client.js';
