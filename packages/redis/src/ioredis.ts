import type { RedisClientLike, RedisSubscriberLike } from './client.js';

// biome-ignore lint/suspicious/noExplicitAny: ioredis types its listeners' arguments as any[]
type Listener = (...args: any[]) => void;

/**
 * What the store uses of an ioredis client (`new Redis(url)`, v5 or later). No import of ioredis:
 * the package does not depend on it, a structural type is enough.
 */
export interface IoredisLike {
  /** 'ready' once connected and ready for commands. */
  readonly status: string;
  evalsha(sha: string, numKeys: number, ...args: string[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: string[]): Promise<unknown>;
  duplicate(override?: { lazyConnect?: boolean }): IoredisLike;
  connect(): Promise<unknown>;
  subscribe(...channels: string[]): Promise<unknown>;
  on(event: string, listener: Listener): unknown;
  off(event: string, listener: Listener): unknown;
  disconnect(): void;
}

/** Whether `client` is an ioredis client rather than a node-redis one (ioredis spells it `evalsha`, node-redis `evalSha`). */
export function isIoredis(client: unknown): client is IoredisLike {
  const c = client as Partial<IoredisLike> & { evalSha?: unknown };
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.evalsha === 'function' &&
    typeof c.evalSha !== 'function' &&
    typeof c.duplicate === 'function' &&
    typeof c.status === 'string'
  );
}

/**
 * An ioredis client in node-redis's shape. Commands keep ioredis's own behaviour (its retries,
 * its offline queue if you left it on: create it with `enableOfflineQueue: false`); the store's
 * own timeout still bounds every call.
 */
export function fromIoredis(client: IoredisLike): RedisClientLike {
  return {
    get isReady() {
      return client.status === 'ready';
    },
    evalSha: (sha, { keys, arguments: args }) => client.evalsha(sha, keys.length, ...keys, ...args),
    eval: (script, { keys, arguments: args }) => client.eval(script, keys.length, ...keys, ...args),
    duplicate: () => subscriberOf(client),
    on: (event, listener) => client.on(event, listener),
    off: (event, listener) => client.off(event, listener),
  };
}

/**
 * The subscriber connection: a duplicate that waits for `connect()` (the store's), delivering
 * one channel's messages to one listener. ioredis subscribes again by itself after a reconnect
 * (`autoResubscribe`, on by default) and says 'ready' then, which makes the store resync.
 */
function subscriberOf(client: IoredisLike): RedisSubscriberLike {
  const sub = client.duplicate({ lazyConnect: true });
  return {
    get isReady() {
      return sub.status === 'ready';
    },
    connect: () => sub.connect(),
    subscribe: async (channel, listener) => {
      sub.on('message', (from: string, message: string) => {
        if (from === channel) listener(message);
      });
      await sub.subscribe(channel);
    },
    on: (event, listener) => sub.on(event, listener),
    destroy: () => sub.disconnect(),
  };
}
