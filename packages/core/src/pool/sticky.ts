/**
 * Sticky keys: `acquire({ sticky: 'account-42' })` gets the same member for the same key while
 * it is usable — a login stays on one IP. Leases with one key share its member (one identity:
 * a session's one-lease-at-a-time rule does not part them); different keys get different
 * members while there are enough (two accounts on one IP get linked), and a session a key chose
 * is kept for it. When the key's member becomes unusable (removed, retired, its breaker open,
 * banned by the target, its gateway at fault) the key moves once to another member and stays
 * there; a member only held back for a while (a limit, a trial in flight) is waited for.
 */
import { isBanned } from '../health/bans.js';
import { type BreakerOptions, type BreakerState, admits } from '../health/breaker.js';
import type { PoolEntry } from './entry.js';
import type { Gateways } from './gateways.js';
import type { Limits } from './limits.js';
import { NO_TARGET } from './shared.js';

/** What the key's member is to a lease now: usable, to be waited for, or gone (and why). */
export type StickyState = { kind: 'ok' } | { kind: 'wait' } | { kind: 'gone'; reason: string };

export const STICKY_OK: StickyState = Object.freeze({ kind: 'ok' });
export const STICKY_WAIT: StickyState = Object.freeze({ kind: 'wait' });

export class StickyKeys {
  /** key → the member it chose (kept after the member left, so that the move can say why). */
  readonly #members = new Map<string, PoolEntry>();
  /** Members some key chose: while there are any, picks for others look at them last. */
  #bound = 0;

  get bound(): number {
    return this.#bound;
  }

  memberOf(key: string): PoolEntry | undefined {
    return this.#members.get(key);
  }

  /** `key` chose `entry` (moving off whatever it had). */
  bind(key: string, entry: PoolEntry, previous: PoolEntry | undefined): void {
    if (previous && previous.stickyKey === key) this.#unbind(previous);
    this.#members.set(key, entry);
    if (entry.stickyKey === undefined) this.#bound++;
    entry.bindSticky(key);
  }

  /** Forgets a key; returns the member it had chosen, if any. */
  forget(key: string): PoolEntry | undefined {
    const entry = this.#members.get(key);
    if (!entry) return undefined;
    this.#members.delete(key);
    if (entry.stickyKey === key) this.#unbind(entry);
    return entry;
  }

  /** The member left the pool: it no longer counts as chosen (its keys move on their next lease). */
  left(entry: PoolEntry): void {
    if (entry.stickyKey !== undefined) this.#unbind(entry);
  }

  #unbind(entry: PoolEntry): void {
    this.#bound--;
    entry.bindSticky(undefined);
  }
}

/** What judging a key's member reads of the other rooms. */
export interface StickyView {
  readonly breaker: BreakerOptions;
  /** The member's breaker with time applied. */
  advance(entry: PoolEntry, now: number): BreakerState;
  readonly gateways: Pick<Gateways, 'admits'>;
  readonly limits: Pick<Limits, 'apply' | 'heldBy'>;
}

/** Whether a key's member serves it now, is to be waited for, or is gone (and why). */
export function stickyState(view: StickyView, entry: PoolEntry, key: string, target: string | undefined, now: number): StickyState {
  const breaker = entry.circuit === 'closed' ? entry.breaker : view.advance(entry, now);
  if (breaker.state === 'open') return { kind: 'gone', reason: 'its breaker opened' };
  if (entry.hasBans && isBanned(entry.bans.get(target ?? NO_TARGET), now)) return { kind: 'gone', reason: `it is banned by ${target}` };
  const session = entry.session;
  if (session) {
    const admitted = view.gateways.admits(entry, session, now);
    if (session.retiring !== undefined) return { kind: 'gone', reason: `its session was retired (${session.retiring})` };
    if (session.gateway.health.breaker.state === 'open') return { kind: 'gone', reason: 'its gateway is at fault' };
    if (!admitted) return STICKY_WAIT;
  }
  if (!admits(breaker, view.breaker)) return STICKY_WAIT;
  if (view.limits.apply(entry) && view.limits.heldBy(entry, target, now, key) !== undefined) return STICKY_WAIT;
  return STICKY_OK;
}
