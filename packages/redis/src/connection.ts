import type { Logger } from 'pino';
import type { RedisClientLike } from './client.js';
import type { Script } from './scripts.js';

export type Reply = Array<string | number | Reply>;

/**
 * The store's calls to Redis: scripts by SHA (loaded again by EVAL when the server does not know
 * them: after a restart), each bounded by a timeout, none sent while the client is not ready.
 * A failure is logged once per outage and answered with `undefined`: nothing is ever thrown.
 */
export class Connection {
  readonly client: RedisClientLike;
  readonly #log: Logger;
  readonly #timeoutMs: number;
  #down = false;
  #closed = false;
  /** Whether a call ever went through: a client still connecting at the start is no outage (its 'ready' starts a resync). */
  #answered = false;
  /** Round trips sent (for measurements). */
  roundTrips = 0;

  constructor(client: RedisClientLike, log: Logger, timeoutMs: number) {
    this.client = client;
    this.#log = log;
    this.#timeoutMs = timeoutMs;
  }

  /** Whether the last call failed. */
  get down(): boolean {
    return this.#down;
  }

  close(): void {
    this.#closed = true;
  }

  /** One script call; undefined when Redis failed (or the connection is closed). Never throws. */
  async run(script: Script, keys: string[], args: string[]): Promise<Reply | undefined> {
    if (this.#closed) return undefined;
    if (!this.client.isReady) {
      if (this.#answered) this.failed(new Error('the Redis client is not connected'));
      return undefined;
    }
    try {
      this.roundTrips++;
      let reply: unknown;
      try {
        reply = await this.#timed(this.client.evalSha(script.sha, { keys, arguments: args }));
      } catch (error) {
        if (!String((error as Error)?.message ?? error).startsWith('NOSCRIPT')) throw error;
        this.roundTrips++;
        reply = await this.#timed(this.client.eval(script.source, { keys, arguments: args }));
      }
      this.#answered = true;
      if (this.#down) {
        this.#down = false;
        this.#log.info('redis is back: sharing health again');
      }
      return reply as Reply;
    } catch (error) {
      this.failed(error);
      return undefined;
    }
  }

  #timed<T>(promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`redis did not answer within ${this.#timeoutMs} ms`)), this.#timeoutMs);
      timer.unref();
    });
    promise.catch(() => {}); // a late rejection after the timeout is not unhandled
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  /** Logged once per outage (the pool works on local health meanwhile). */
  failed(error: unknown): void {
    if (this.#down || this.#closed) return;
    this.#down = true;
    this.#log.warn(
      { err: error instanceof Error ? { message: error.message } : String(error) },
      'redis unavailable: working on local health until it is back',
    );
  }
}
