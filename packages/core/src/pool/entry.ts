import { type HealthTable, TableHealthRecord } from '../health/table.js';
import type { Proxy } from '../proxy.js';
import type { Candidate } from '../rotation/strategy.js';

/**
 * The pool's own view of one proxy: its live health record (numbers in a table row) plus what
 * leases do to it. One object per proxy, so that picking and reporting touch as little memory
 * as possible: at 100,000 proxies every extra object read per pick is a likely cache miss.
 */
export class PoolEntry extends TableHealthRecord implements Candidate {
  readonly proxy: Proxy;
  /** `proxy.id`, kept here so that reporting never has to read the proxy object. */
  readonly id: string;
  inFlight = 0;
  uses = 0;
  removed = false;
  /** Position in the pool's array (for O(1) removal). */
  index = -1;
  /** Mirrors of the breaker's state and of whether any ban exists, for the checks of every pick. */
  circuit: 'closed' | 'open' | 'half-open' = 'closed';
  hasBans = false;

  constructor(proxy: Proxy, table: HealthTable, now: number) {
    super(table, now);
    this.proxy = proxy;
    this.id = proxy.id;
  }

  /** Call after anything replaced the breaker or the bans wholesale (a restore, a store). */
  syncMirrors(): void {
    this.circuit = this.breaker.state;
    this.hasBans = this.bans.size > 0;
  }
}
