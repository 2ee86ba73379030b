/**
 * What the pool's rooms (members, leasing, outcomes, health checks) share, below all of them:
 * the option types callers pass in, the keys and constants every room reads, and the helpers
 * they all call. Nothing here imports a room.
 */
import type { Logger } from 'pino';
import type { TypedEvents } from '../events.js';
import type { FailureOutcome } from '../outcome.js';
import type { Proxy } from '../proxy.js';
import type { PoolEvents } from './events.js';

/** Scores depend on time (decay, recency): one older than this is recomputed when looked at. */
export const SCORE_TTL_MS = 5_000;
/** Outcomes without a target share this key for target health and bans. */
export const NO_TARGET = '*';
/** The longest delay a Node.js timer takes. */
export const MAX_TIMER_MS = 2_147_483_647;

export interface AcquireOptions {
  /** The URL (or host) the work is for: bans and target health are per target. */
  target?: string | URL | undefined;
  /** Proxies (or their ids) not to use. */
  exclude?: Iterable<Proxy | string> | undefined;
  signal?: AbortSignal | undefined;
  /** Wait for a proxy to become usable (default), or throw `NoProxyAvailableError` at once. @default true */
  wait?: boolean | undefined;
  /** The longest wait. @default the pool's `maxWaitMs` */
  maxWaitMs?: number | undefined;
  /**
   * A key (an account, a user journey) that keeps its member while that member is usable: the
   * same proxy or gateway session for every lease with this key. See pool/sticky.ts.
   */
  sticky?: string | undefined;
}

/** Which limit held a member back from a pick (see pool/limits.ts). */
export type HeldBy = 'maxInFlight' | 'minIntervalMs';

export type PickOptions = Omit<AcquireOptions, 'signal' | 'wait' | 'maxWaitMs'>;

/** A failure waiting (in target health) for proof that it was its proxy's. */
export interface PendingPayload {
  kind: FailureOutcome['kind'];
  status: number | undefined;
  retryAfterMs: number | undefined;
}

/** The pool's events and its logger, as every room emits them (a throwing listener is logged, never rethrown). */
export class PoolEmitter {
  readonly #events: TypedEvents<PoolEvents>;
  readonly #log: Logger;

  constructor(events: TypedEvents<PoolEvents>, log: Logger) {
    this.#events = events;
    this.#log = log;
  }

  /** Whether anyone listens: guard the building of a payload with it. */
  has(event: keyof PoolEvents): boolean {
    return this.#events.has(event);
  }

  emit<K extends keyof PoolEvents>(event: K, payload: Parameters<PoolEvents[K]>[0]): void {
    this.#events.emit(event, payload, (error) => this.#log.error({ err: error, event }, 'an event listener threw'));
  }
}

/** The ids of `exclude`, or undefined when it names none (the common case costs no Set). */
export function idSet(exclude: Iterable<Proxy | string> | undefined): ReadonlySet<string> | undefined {
  if (exclude === undefined) return undefined;
  const ids = new Set<string>();
  for (const item of exclude) ids.add(typeof item === 'string' ? item : item.id);
  return ids.size === 0 ? undefined : ids;
}
