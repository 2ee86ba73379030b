import { setImmediate as tick } from 'node:timers/promises';
import type { BreakerState, Clock, HealthRecord } from '@proxy-pool/core';
import type { Logger } from 'pino';
import type { Connection } from './connection.js';
import { LocalFaultGuard, type LocalFaultGuardOptions, type WorkerReport } from './local-fault-guard.js';
import { SCORE_PUSH, SCORE_READ } from './score-scripts.js';
import { type FleetSums, ScoreShare } from './score-share.js';

/** Pushes and reads go in pages of this many proxies: Redis runs one script at a time, a page keeps each short. */
const PAGE = 500;
/**
 * While openings pour in, the guard judges again after this long (or ten times as long as its
 * last judgement took, if longer), or after this share of the pool's proxies opened (at least 4):
 * each judgement reads every live record (~30 ms at 100,000), so not on every opening of a storm,
 * and never much of the time, but never long on an old verdict either.
 */
const JUDGE_EVERY_MS = 100;
const JUDGE_EVERY_SHARE = 1 / 64;

export interface FleetScoresOptions {
  connection: Connection;
  live: ReadonlyMap<string, HealthRecord>;
  clock: Clock;
  log: Logger;
  prefix: string;
  workerId: string;
  halfLifeMs: number;
  retainMs: number;
  /** A worker's outcome report covers this long, and counts for as long after its last push (a few resync periods). */
  reportTtlMs: number;
  guard: LocalFaultGuardOptions | false;
  /** A record's score inputs were merged. */
  merged(id: string): void;
  /** The guard let an opening it held go: share it now. */
  share(id: string, record: HealthRecord): void;
}

/** An opening kept local by the guard. */
interface Held {
  record: HealthRecord;
  openedAt: number;
}

/**
 * The score inputs every worker shares, merged (see ScoreShare), and the local-fault guard that
 * decides whether this worker's openings are the fleet's business. Runs on the store's resync
 * (and on attach), never on the pick path: a push of what changed here, with this worker's
 * outcome counts (the guard's evidence for the others), then a read of what changed elsewhere.
 */
export class FleetScores {
  readonly #o: FleetScoresOptions;
  readonly #share: ScoreShare;
  readonly #guard: LocalFaultGuard | undefined;
  readonly #held = new Map<string, Held>();
  /** Server time of the last read of the score log (-1: none yet: the first read takes every live id). */
  #syncedAt = -1;
  #judgedAt = Number.NEGATIVE_INFINITY;
  #openingsSinceJudged = 0;
  /** How long the last judgement took (real ms). */
  #judgeMs = 0;
  #syncing = false;
  /** This worker's outcome counts per push, within reportTtlMs (its report is their sum: a worker that succeeded a moment ago still does). */
  readonly #recent: Array<{ at: number; ok: number; fail: number }> = [];

  constructor(options: FleetScoresOptions) {
    this.#o = options;
    this.#share = new ScoreShare(options.halfLifeMs);
    this.#guard = options.guard === false ? undefined : new LocalFaultGuard(options.guard, options.log);
  }

  /** Whether the guard keeps this worker's openings local now. */
  get local(): boolean {
    return this.#guard?.local ?? false;
  }

  /** Openings the guard holds (for tests and metrics). */
  get held(): number {
    return this.#held.size;
  }

  /** The connection came back (maybe to a Redis that restarted empty): the next push sends every contribution again. */
  reconnected(): void {
    this.#share.unpushed(undefined);
  }

  /** Whether the guard keeps this proxy's opening local. */
  isHeld(id: string): boolean {
    return this.#held.has(id);
  }

  forget(id: string): void {
    this.#share.forget(id);
    this.#held.delete(id);
  }

  /**
   * The pool opened `record`'s breaker here: whether the opening stays local (the guard blames
   * this worker). O(live proxies) at most every JUDGE_EVERY_MS.
   */
  holds(id: string, record: HealthRecord, breaker: BreakerState & { state: 'open' }): boolean {
    if (!this.#guard) return false;
    const now = this.#o.clock.now();
    const every = Math.max(4, Math.ceil(this.#o.live.size * JUDGE_EVERY_SHARE));
    const gap = Math.max(JUDGE_EVERY_MS, 10 * this.#judgeMs);
    if (now - this.#judgedAt >= gap || (++this.#openingsSinceJudged >= every && now - this.#judgedAt >= 10 * this.#judgeMs)) {
      this.#judgedAt = now;
      this.#openingsSinceJudged = 0;
      this.#judge(now);
    }
    if (!this.#guard.local) return false;
    this.#held.set(id, { record, openedAt: breaker.openedAt });
    return true;
  }

  #judge(now: number): void {
    if (!this.#guard) return;
    // Nobody else succeeds: nothing to blame this worker for (and no need to read every record).
    if (!this.#guard.local && !this.#guard.othersSucceed) return;
    const started = performance.now();
    const evidence = this.#share.evidence(this.#o.live);
    this.#judgeMs = performance.now() - started;
    if (this.#guard.update(evidence, now) !== 'shared') return;
    for (const [id, held] of [...this.#held]) {
      this.#held.delete(id);
      const b = held.record.breaker;
      if (this.#o.live.get(id) !== held.record || b.state !== 'open' || b.openedAt !== held.openedAt) continue;
      // The fleet succeeded through it after this worker opened it: the fault was this worker's.
      const fleetOk = this.#share.foreignSuccessAt(id);
      if (fleetOk !== undefined && fleetOk > held.openedAt) continue;
      this.#o.share(id, held.record);
    }
  }

  /** Push, then read (a resync). Overlapping calls run once. */
  async sync(): Promise<void> {
    if (this.#syncing) return;
    this.#syncing = true;
    try {
      const now = this.#o.clock.now();
      this.#judge(now);
      if (!(await this.#push(now))) return;
      if (this.#syncedAt < 0) await this.load([...this.#o.live.keys()]);
      else await this.#readChanged();
    } finally {
      this.#syncing = false;
    }
  }

  /**
   * Pushes what changed here, a page at a time (the event loop turns between pages), and this
   * worker's outcome report with the last page; hears the other workers' reports in its reply.
   */
  async #push(now: number): Promise<boolean> {
    const guard = this.#guard;
    const keepLocal = guard?.local ?? false;
    const localUntil = guard?.endedAt ?? Number.NEGATIVE_INFINITY;
    const { prefix, workerId, retainMs, reportTtlMs } = this.#o;
    const keys = [`${prefix}scores`, `${prefix}workers`];
    const head = [prefix, workerId, String(retainMs), String(reportTtlMs)];
    const live = this.#o.live.entries();
    let ok = 0;
    let fail = 0;
    for (;;) {
      const page = this.#share.collect(live, now, keepLocal, localUntil, PAGE, PAGE * 8);
      ok += page.ok;
      fail += page.fail;
      let report = ['', ''];
      if (page.done) report = this.#report(now, ok, fail);
      else if (page.ids.length === 0) {
        await tick();
        continue;
      }
      const reply = await this.#o.connection.run(SCORE_PUSH, keys, [...head, ...report, ...page.args]);
      if (!reply) {
        this.#share.unpushed(page.ids);
        return false;
      }
      if (page.done) {
        this.#guard?.heard(reports(reply));
        return true;
      }
    }
  }

  /** This worker's report: its outcome counts over the last reportTtlMs. */
  #report(now: number, ok: number, fail: number): [string, string] {
    const recent = this.#recent;
    recent.push({ at: now, ok: Math.max(0, ok), fail: Math.max(0, fail) });
    while (recent.length > 0 && recent[0]!.at < now - this.#o.reportTtlMs) recent.shift();
    let sumOk = 0;
    let sumFail = 0;
    for (const r of recent) {
      sumOk += r.ok;
      sumFail += r.fail;
    }
    return [String(sumOk), String(sumFail)];
  }

  /** Reads the fleet's sums for `ids` (a proxy attached, or the first sync). */
  async load(ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += PAGE) {
      const reply = await this.#read(-1, 0, ids.slice(i, i + PAGE));
      if (!reply) return;
      if (this.#syncedAt < 0) this.#syncedAt = Number(reply[0]);
    }
  }

  async #readChanged(): Promise<void> {
    const since = this.#syncedAt - 2_000;
    let startedAt: number | undefined;
    for (let offset = 0; ; offset += PAGE) {
      const reply = await this.#read(since, offset, []);
      if (!reply) return;
      startedAt ??= Number(reply[0]);
      if (Number(reply[1]) !== 1) break;
    }
    this.#syncedAt = startedAt;
  }

  async #read(since: number, offset: number, ids: string[]) {
    const { prefix, workerId, halfLifeMs, retainMs } = this.#o;
    const reply = await this.#o.connection.run(
      SCORE_READ,
      [`${prefix}scores`],
      [prefix, workerId, String(halfLifeMs), String(retainMs), String(since), String(offset), String(PAGE), ...ids],
    );
    if (!reply) return undefined;
    const serverNow = Number(reply[0]);
    const now = this.#o.clock.now();
    for (let i = 2; i < reply.length; i++) {
      const row = reply[i] as [string, string, string, string, string, number, number];
      const record = this.#o.live.get(row[0]);
      if (!record) continue;
      const sums: FleetSums = {
        successes: Number(row[1]),
        failures: Number(row[2]),
        latencyTimesSuccesses: Number(row[3]),
        successesWithLatency: Number(row[4]),
        lastSuccessAt: Number(row[5]),
        lastFailureAt: Number(row[6]),
      };
      if (this.#share.merge(row[0], record, now, serverNow, sums)) this.#o.merged(row[0]);
    }
    return reply;
  }
}

/** SCORE_PUSH's other workers: `worker, "ok,fail,at"` pairs after the server time. */
function reports(reply: unknown[]): WorkerReport[] {
  const out: WorkerReport[] = [];
  for (let i = 1; i + 1 < reply.length; i += 2) {
    const [ok, fail] = String(reply[i + 1]).split(',');
    out.push({ ok: Number(ok) || 0, fail: Number(fail) || 0 });
  }
  return out;
}
