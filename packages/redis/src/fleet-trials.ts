import type { BreakerState, Clock, HealthRecord } from '@proxy-pool/core';
import type { Reply } from './connection.js';
import { SCRIPTS, type Script } from './scripts.js';

export interface FleetTrialsOptions {
  live: ReadonlyMap<string, HealthRecord>;
  clock: Clock;
  workerId: string;
  /** How long before an opening ends the workers race for its trial. */
  leadMs: number;
  /** How long a worker's trial token lasts. */
  ttlMs: number;
  run(script: Script, keys: string[], args: string[]): Promise<Reply | undefined>;
  /** The breaker scripts' keys for a proxy: [breaker hash, trial token, change log]. */
  keys(id: string): string[];
  /** This worker lost the race: its opening, held until the winner's token expires, replaces the record's. */
  lost(id: string, record: HealthRecord, next: BreakerState): void;
}

/**
 * One half-open trial per proxy, fleet-wide. `leadMs` before an opening ends, every worker that
 * holds it open asks for the proxy's trial token (SET NX PX). The loser keeps the breaker open
 * until the token expires (asking again then), so its picks skip the proxy without asking Redis.
 * The winner keeps the token while its breaker stays half-open (a trial that needs two successes
 * can outlast it), taking it again if a restarted Redis lost it.
 */
export class FleetTrials {
  readonly #o: FleetTrialsOptions;
  /** A claim's timer (open) or a keeper's interval (half-open), by proxy. */
  readonly #timers = new Map<string, NodeJS.Timeout>();

  constructor(options: FleetTrialsOptions) {
    this.#o = options;
  }

  get #tokenMs(): number {
    return this.#o.leadMs * 2 + this.#o.ttlMs;
  }

  /** `leadMs` before the record's opening ends, ask for its trial token. */
  arm(id: string, record: HealthRecord): void {
    this.clear(id);
    const b = record.breaker;
    if (b.state !== 'open') return;
    const delay = Math.max(0, b.until - this.#o.clock.now() - this.#o.leadMs);
    const timer = setTimeout(() => {
      this.#timers.delete(id);
      void this.#claim(id, record);
    }, delay);
    timer.unref();
    this.#timers.set(id, timer);
  }

  clear(id: string): void {
    const timer = this.#timers.get(id);
    if (timer) clearTimeout(timer);
    this.#timers.delete(id);
  }

  close(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  /** The record's breaker went half-open here: keep the token while it stays so. */
  keep(id: string, record: HealthRecord): void {
    this.clear(id);
    const halfOpen = record.breaker;
    const timer = setInterval(() => {
      if (this.#o.live.get(id) !== record || record.breaker !== halfOpen) {
        this.clear(id);
        return;
      }
      void this.#o.run(SCRIPTS.keep, this.#o.keys(id), [this.#o.workerId, String(this.#tokenMs)]);
    }, this.#o.ttlMs / 3);
    timer.unref();
    this.#timers.set(id, timer);
  }

  async #claim(id: string, record: HealthRecord): Promise<void> {
    const { live, clock } = this.#o;
    if (live.get(id) !== record || record.breaker.state !== 'open') return;
    const opened = record.breaker;
    const reply = await this.#o.run(SCRIPTS.claim, this.#o.keys(id), [this.#o.workerId, String(this.#tokenMs)]);
    // Redis down, or no opening known to it: this worker's own breaker decides its trial.
    if (reply?.[1] !== 'lost') return;
    if (live.get(id) !== record || record.breaker !== opened) return;
    const pttl = Number(reply[2]);
    const until = clock.now() + Math.max(1, pttl > 0 ? pttl : this.#o.ttlMs);
    this.#o.lost(id, record, { ...opened, until, reason: 'its half-open trial runs in another worker' });
    this.arm(id, record);
  }
}
