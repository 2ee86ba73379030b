import {
  type HealthTable,
  NEEDS_CHECK,
  NEEDS_CHECK_BANS,
  NEEDS_CHECK_HALF_OPEN,
  NEEDS_CHECK_OPEN,
  NEEDS_CHECK_OWN_LIMITS,
  NEEDS_CHECK_STICKY,
  NEEDS_CHECK_SUSPECT,
  TableHealthRecord,
} from '../health/table.js';
import type { SessionInfo } from '../gateway/types.js';
import type { Proxy } from '../proxy.js';
import type { Candidate } from '../rotation/strategy.js';

/**
 * The pool's own view of one proxy: its live health record plus what leases do to it. Every
 * number (in flight and uses included) sits in the proxy's table row, so that the common pick
 * and report read and write the row and never this object: at 100,000 proxies every object
 * read is a likely cache miss.
 */
export class PoolEntry extends TableHealthRecord implements Candidate {
  readonly proxy: Proxy;
  /** `proxy.id`, kept here so that reporting never has to read the proxy object. */
  readonly id: string;
  removed = false;
  /** Position in the pool's array (for O(1) removal); the row sits at index × ROW_STRIDE. */
  index = -1;
  /** What few members have (see EntryExtras), made on first use: most proxies never need it. */
  #extras: EntryExtras | undefined = undefined;

  #own(): EntryExtras {
    this.#extras ??= new EntryExtras();
    return this.#extras;
  }

  /**
   * Until when a failure of this proxy waits for proof (0: none does). Until then the pool
   * picks it only when no other is usable: an unresolved timeout is more likely the proxy's
   * than not, and a fresh pool should try its untried proxies first. Kept by Members.
   */
  get suspectUntil(): number {
    return this.#extras?.suspectUntil ?? 0;
  }
  set suspectUntil(value: number) {
    if (value !== 0 || this.#extras) this.#own().suspectUntil = value;
  }
  /** Set when the member is a rotating gateway's session (see pool/gateways.ts). */
  get session(): SessionInfo | undefined {
    return this.#extras?.session;
  }
  set session(value: SessionInfo | undefined) {
    this.#own().session = value;
  }
  /** The sticky key this member serves, if one chose it (see pool/sticky.ts). */
  get stickyKey(): string | undefined {
    return this.#extras?.stickyKey;
  }
  /** Leases at once allowed on this member when it has its own limit (NEEDS_CHECK_OWN_LIMITS); else the pool's. */
  get maxInFlight(): number {
    return this.#extras?.maxInFlight ?? Number.POSITIVE_INFINITY;
  }
  constructor(proxy: Proxy, table: HealthTable, now: number) {
    super(table, now);
    this.proxy = proxy;
    this.id = proxy.id;
  }

  /**
   * Whether the proxy has bans, as summed up in the row's NEEDS_CHECK bits (with the breaker's
   * state, read as `circuit`), so that a pick by index can tell a plainly usable proxy from the
   * row alone, without reading this object. Set by the pool when it adds or prunes a ban in place.
   */
  get hasBans(): boolean {
    return (this.flags & NEEDS_CHECK_BANS) !== 0;
  }
  set hasBans(value: boolean) {
    this.setNumber(NEEDS_CHECK, (this.flags & ~NEEDS_CHECK_BANS) | (value ? NEEDS_CHECK_BANS : 0));
  }

  /** The breaker or the bans were replaced: the row's summary follows. */
  protected override healthChanged(): void {
    const state = this.breaker.state;
    const circuit = state === 'open' ? NEEDS_CHECK_OPEN : state === 'half-open' ? NEEDS_CHECK_HALF_OPEN : 0;
    // The bits that are not the breaker's or the bans' are kept as they are.
    const kept = this.flags & (NEEDS_CHECK_SUSPECT | NEEDS_CHECK_OWN_LIMITS | NEEDS_CHECK_STICKY);
    this.setNumber(NEEDS_CHECK, circuit | (this.bans.size > 0 ? NEEDS_CHECK_BANS : 0) | kept);
  }

  /** Gives the member a limit of its own (undefined: the pool's again). */
  setOwnMaxInFlight(max: number | undefined): void {
    if (max !== undefined || this.#extras) this.#own().maxInFlight = max ?? Number.POSITIVE_INFINITY;
    this.setNumber(NEEDS_CHECK, (this.flags & ~NEEDS_CHECK_OWN_LIMITS) | (max === undefined ? 0 : NEEDS_CHECK_OWN_LIMITS));
  }

  /** A sticky key chose this member (or none does any more). */
  bindSticky(key: string | undefined): void {
    if (key !== undefined || this.#extras) this.#own().stickyKey = key;
    this.setNumber(NEEDS_CHECK, (this.flags & ~NEEDS_CHECK_STICKY) | (key === undefined ? 0 : NEEDS_CHECK_STICKY));
  }

  /** Sets or clears the row's suspect bit (Members keeps `suspectUntil` and the count). */
  setSuspectFlag(on: boolean): void {
    this.setNumber(NEEDS_CHECK, (this.flags & ~NEEDS_CHECK_SUSPECT) | (on ? NEEDS_CHECK_SUSPECT : 0));
  }
}

/** The fields only some members use: a session's origin, a sticky key, a limit of its own, a suspicion. */
class EntryExtras {
  suspectUntil = 0;
  session: SessionInfo | undefined = undefined;
  stickyKey: string | undefined = undefined;
  maxInFlight = Number.POSITIVE_INFINITY;
}
