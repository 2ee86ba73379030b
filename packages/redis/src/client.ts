/**
 * The few commands the store needs of a client, in node-redis's shape (v5 and later). A node-redis
 * client (`createClient()`) fits as it is; an ioredis client is wrapped (see ioredis.ts). Create
 * either without an offline queue: the store never sends while the client is not ready, but your
 * own commands should not queue either.
 */
// biome-ignore lint/suspicious/noExplicitAny: node-redis types its listeners' arguments as any[] (a narrower type would not accept its client)
type Listener = (...args: any[]) => void;

export interface RedisClientLike {
  readonly isReady: boolean;
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  duplicate(): RedisSubscriberLike;
  on(event: 'ready' | 'error', listener: Listener): unknown;
  off(event: 'ready' | 'error', listener: Listener): unknown;
}

export interface RedisSubscriberLike {
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
  on(event: 'ready' | 'error', listener: Listener): unknown;
  destroy(): void;
}
