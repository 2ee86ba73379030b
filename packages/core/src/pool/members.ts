/**
 * Members: who is in the pool, and where each one's numbers are. It owns the entries, the
 * array of their proxies (so that a lease gets its proxy without reading the entry), the id
 * index, the health table with one row per member in candidate order, and the count of
 * removals that tells a lease whether its member has moved. It attaches and detaches live
 * records to the health store and tells the rotation strategy of arrivals, departures and
 * moves, and saves and restores what members learned (`toJSON`, `restore`). It decides nothing
 * about health: the other rooms read and write the rows it keeps.
 */
import type { HealthStore } from '../health/record.js';
import { healthScore, type ScoreOptions } from '../health/score.js';
import { HealthRow, HealthTable, SCORE, SCORED_AT } from '../health/table.js';
import { type ProxyInput, parseProxy } from '../parse.js';
import type { Proxy } from '../proxy.js';
import type { RotationStrategy } from '../rotation/strategy.js';
import { type PoolState, applyHealth, saveHealth } from '../state.js';
import { PoolEntry } from './entry.js';

/** Told when members change positions (a removal moves the last member into the gap). */
export interface PositionWatcher {
  moved(from: number, to: number): void;
  removed(index: number): void;
}

export class Members {
  readonly entries: PoolEntry[] = [];
  /** `entries[i].proxy`. */
  readonly proxies: Proxy[] = [];
  /** Every member's health numbers, one row each, at index × ROW_STRIDE (see health/table.ts). */
  readonly table = new HealthTable();
  readonly #byId = new Map<string, PoolEntry>();
  /** Points at whichever row is being scored or recorded in (see rowAt). */
  readonly #cursor = new HealthRow(this.table, 0);
  readonly #strategy: RotationStrategy;
  readonly #store: HealthStore | undefined;
  readonly #score: ScoreOptions;
  #removals = 0;
  #suspects = 0;
  readonly #watchers: PositionWatcher[] = [];

  constructor(strategy: RotationStrategy, store: HealthStore | undefined, score: ScoreOptions) {
    this.#strategy = strategy;
    this.#store = store;
    this.#score = score;
  }

  watchPositions(watcher: PositionWatcher): void {
    this.#watchers.push(watcher);
  }

  get size(): number {
    return this.entries.length;
  }

  /** Members removed so far: a lease whose count still matches knows its member has not moved. */
  get removals(): number {
    return this.#removals;
  }

  /** Members with a failure waiting for proof (see PoolEntry.suspectUntil). */
  get suspects(): number {
    return this.#suspects;
  }

  /** A failure of `entry` waits for proof until `until`. */
  suspect(entry: PoolEntry, until: number): void {
    if (entry.removed) return;
    if (entry.suspectUntil === 0) {
      this.#suspects++;
      entry.setSuspectFlag(true);
    }
    entry.suspectUntil = Math.max(entry.suspectUntil, until);
  }

  /** Its failures were judged (charged, or its own success), or their wait ran out. */
  unsuspect(entry: PoolEntry): void {
    if (entry.suspectUntil === 0) return;
    entry.suspectUntil = 0;
    this.#suspects--;
    if (!entry.removed) entry.setSuspectFlag(false);
  }

  byId(id: string): PoolEntry | undefined {
    return this.#byId.get(id);
  }

  /** The member for a `Proxy`, an id or any accepted form; undefined when there is none. */
  find(proxy: ProxyInput | undefined): PoolEntry | undefined {
    if (proxy === undefined) return undefined;
    if (typeof proxy === 'string') {
      const byId = this.#byId.get(proxy);
      if (byId) return byId;
    }
    try {
      return this.#byId.get(parseProxy(proxy).id);
    } catch {
      return undefined;
    }
  }

  /** Adds a member; returns undefined when one with the same id is there already. */
  add(proxy: Proxy, now: number): PoolEntry | undefined {
    if (this.#byId.has(proxy.id)) return undefined;
    const entry = new PoolEntry(proxy, this.table, now);
    this.#store?.attach(proxy.id, entry);
    this.rescoreRow(entry.row, now);
    entry.index = this.entries.length;
    this.entries.push(entry);
    this.proxies.push(proxy);
    this.#byId.set(proxy.id, entry);
    this.#strategy.onAdded?.(entry);
    return entry;
  }

  /**
   * Removes a member. Rows stay in candidate order (row = index × ROW_STRIDE), so that a pick
   * by index reads the row without reading the entry first: the last member moves into the
   * gap, with its row.
   */
  remove(entry: PoolEntry): void {
    this.unsuspect(entry);
    entry.removed = true;
    this.#removals++;
    this.#byId.delete(entry.id);
    this.#store?.detach(entry.id, entry);
    const gap = entry.row;
    entry.detachRow();
    const last = this.entries.pop()!;
    const lastProxy = this.proxies.pop()!;
    this.#strategy.onRemoved?.(entry);
    if (last !== entry) {
      for (const watcher of this.#watchers) watcher.moved(last.index, entry.index);
      this.table.copyRow(last.row, gap);
      last.row = gap;
      this.entries[entry.index] = last;
      this.proxies[entry.index] = lastProxy;
      last.index = entry.index;
      this.#strategy.onUpdated?.(last);
    } else for (const watcher of this.#watchers) watcher.removed(entry.index);
    this.table.truncate();
  }

  /** Every live record leaves the store (the pool is closing). */
  detachAll(): void {
    const store = this.#store;
    if (store) for (const entry of this.entries) store.detach(entry.id, entry);
  }

  /** The cursor, pointed at a row. Point it again before each use: a listener called in between may have moved it. */
  rowAt(row: number): HealthRow {
    const cursor = this.#cursor;
    cursor.row = row;
    return cursor;
  }

  rescore(entry: PoolEntry, now: number): void {
    // A removed member's row is no longer the table's (an event listener may remove one mid-outcome).
    if (!entry.removed) this.rescoreRow(entry.row, now);
  }

  /** `rescore` for a live member's row, without reading its entry. */
  rescoreRow(row: number, now: number): void {
    const data = this.table.data;
    data[row + SCORE] = healthScore(this.rowAt(row), now, this.#score);
    data[row + SCORED_AT] = now;
  }

  /** What every member has learned, by id, without passwords (see state.ts). */
  save(): PoolState['proxies'] {
    const proxies: PoolState['proxies'] = {};
    for (const entry of this.entries) proxies[entry.id] = saveHealth(entry);
    return proxies;
  }

  /** Saved health into the members it names; the rest of the state is ignored. */
  restore(saved: PoolState['proxies'], now: number): { restored: number; ignored: number } {
    let restored = 0;
    let ignored = 0;
    for (const [id, health] of Object.entries(saved)) {
      const entry = this.#byId.get(id);
      if (!entry) {
        ignored++;
        continue;
      }
      applyHealth(entry, health);
      this.rescore(entry, now);
      this.#strategy.onUpdated?.(entry);
      restored++;
    }
    return { restored, ignored };
  }
}
