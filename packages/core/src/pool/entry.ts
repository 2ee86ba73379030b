import {
  type HealthTable,
  NEEDS_CHECK,
  NEEDS_CHECK_BANS,
  NEEDS_CHECK_HALF_OPEN,
  NEEDS_CHECK_OPEN,
  TableHealthRecord,
} from '../health/table.js';
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
  #circuit: 'closed' | 'open' | 'half-open' = 'closed';
  #hasBans = false;

  constructor(proxy: Proxy, table: HealthTable, now: number) {
    super(table, now);
    this.proxy = proxy;
    this.id = proxy.id;
  }

  /**
   * Mirrors of the breaker's state and of whether any ban exists, for the checks of every pick.
   * Both are also summed up in the row (NEEDS_CHECK), so that a pick by index can tell a
   * plainly usable proxy from the row alone, without reading this object.
   */
  get circuit(): 'closed' | 'open' | 'half-open' {
    return this.#circuit;
  }
  set circuit(value: 'closed' | 'open' | 'half-open') {
    this.#circuit = value;
    this.#mirror();
  }
  get hasBans(): boolean {
    return this.#hasBans;
  }
  set hasBans(value: boolean) {
    this.#hasBans = value;
    this.#mirror();
  }

  #mirror(): void {
    const circuit = this.#circuit === 'open' ? NEEDS_CHECK_OPEN : this.#circuit === 'half-open' ? NEEDS_CHECK_HALF_OPEN : 0;
    this.setNumber(NEEDS_CHECK, circuit | (this.#hasBans ? NEEDS_CHECK_BANS : 0));
  }

  protected override healthChanged(): void {
    this.syncMirrors();
  }

  /** Brings the mirrors in line with the breaker and the bans (done on every replacement of either). */
  syncMirrors(): void {
    this.circuit = this.breaker.state;
    this.hasBans = this.bans.size > 0;
  }
}
