/**
 * Limits: `limits.maxInFlight` (leases at once per member; a member's own limit, such as a
 * gateway session's one identity, wins) and `limits.minIntervalMs` (two leases of one member
 * for one target start this far apart, kept by Spacing). This room answers which limit holds a
 * member back and what the limits say of it for its metrics; the pick's own row-level check of
 * the same rules stays inline in leasing.ts (the hot path), reading the fields this room holds.
 */
import { InvalidOptionError } from '../errors.js';
import { type LimitOptions, type ResolvedOptions, resolveLimits } from '../options.js';
import type { PoolEntry } from './entry.js';
import type { Members } from './members.js';
import { type HeldBy, NO_TARGET } from './shared.js';
import { Spacing } from './spacing.js';
import { NEEDS_CHECK_OWN_LIMITS } from '../health/table.js';

export class Limits {
  /** The pool's `limits.maxInFlight` (Infinity: none). */
  readonly maxInFlight: number;
  /** Lease starts per target, when `limits.minIntervalMs` is set. */
  readonly spacing: Spacing | undefined;
  readonly spacingMs: number;
  /** Whether the pool has limits at all: without, a pick never looks at them. */
  readonly limited: boolean;

  constructor(limits: ResolvedOptions['limits'], members: Members) {
    this.maxInFlight = limits.maxInFlight;
    this.spacingMs = limits.minIntervalMs;
    if (limits.minIntervalMs > 0) {
      this.spacing = new Spacing(limits.minIntervalMs, () => members.entries.length);
      members.watchPositions(this.spacing);
    }
    this.limited = this.spacing !== undefined || Number.isFinite(this.maxInFlight);
  }

  /** Whether a member's limits need a look at all (the pool's, or its own). */
  apply(entry: PoolEntry): boolean {
    return this.limited || (entry.flags & NEEDS_CHECK_OWN_LIMITS) !== 0;
  }

  /**
   * The limit that keeps `entry` from a lease for `target` now, if one does. `key`: the sticky
   * key leasing for, if any — a session's one lease at a time keeps identities apart, and leases
   * of its own sticky key are one identity.
   */
  heldBy(entry: PoolEntry, target: string | undefined, now: number, key?: string): HeldBy | undefined {
    const ownKey = key !== undefined && entry.session !== undefined && entry.stickyKey === key;
    const max = (entry.flags & NEEDS_CHECK_OWN_LIMITS) !== 0 ? (ownKey ? ownKeyMaxInFlight(entry) : entry.maxInFlight) : this.maxInFlight;
    if (entry.inFlight >= max) return 'maxInFlight';
    if (this.spacing && this.spacing.nextStartAt(target ?? NO_TARGET, entry.index) > now) return 'minIntervalMs';
    return undefined;
  }

  /** What the limits say of a member now, for its metrics. */
  of(entry: PoolEntry, now: number): { maxInFlight: number | undefined; nextStartAt: Record<string, number> } {
    const max = (entry.flags & NEEDS_CHECK_OWN_LIMITS) !== 0 ? entry.maxInFlight : this.maxInFlight;
    return {
      maxInFlight: Number.isFinite(max) ? max : undefined,
      nextStartAt: this.spacing && !entry.removed ? this.spacing.aheadOf(entry.index, now) : {},
    };
  }

  /** When the member at `index` may next start a lease for the target `key` (-Infinity: now). */
  nextStartAt(key: string, index: number): number {
    return this.spacing?.nextStartAt(key, index) ?? Number.NEGATIVE_INFINITY;
  }
}

/** A session's limit for its own sticky key's leases: what its gateway set explicitly above one, else none. */
function ownKeyMaxInFlight(entry: PoolEntry): number {
  return entry.maxInFlight > 1 ? entry.maxInFlight : Number.POSITIVE_INFINITY;
}

/**
 * A member's own limits (a proxy's or a gateway's object form): its `maxInFlight`, or undefined
 * when it sets none. `minIntervalMs` is the pool's only: a member's is refused, naming `option`.
 */
export function ownMaxInFlight(limits: LimitOptions | undefined, option: string): number | undefined {
  if (limits === undefined) return undefined;
  const resolved = resolveLimits(limits, `${option}.limits`);
  if (resolved.minIntervalMs > 0) {
    throw new InvalidOptionError(
      `\`${option}.limits.minIntervalMs\` is the pool's only (set \`limits.minIntervalMs\` on the pool).`,
      `${option}.limits.minIntervalMs`,
    );
  }
  return Number.isFinite(resolved.maxInFlight) ? resolved.maxInFlight : undefined;
}
