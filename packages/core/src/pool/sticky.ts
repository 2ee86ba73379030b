/**
 * Sticky keys: `acquire({ sticky: 'account-42' })` gets the same member for the same key while
 * it is usable — a login stays on one IP. Leases with one key share its member (one identity:
 * a session's one-lease-at-a-time rule does not part them); different keys get different
 * members while there are enough (two accounts on one IP get linked), and a session a key chose
 * is kept for it. When the key's member becomes unusable (removed, retired, its breaker open,
 * banned by the target, its gateway at fault) the key moves once to another member and stays
 * there; a member only held back for a while (a limit, a trial in flight) is waited for.
 */
import type { PoolEntry } from './entry.js';

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
