import type { HealthRecord } from '@proxy-pool/core';

/**
 * This worker's accounts of the score inputs it shares: which part of a live record's numbers
 * came from the fleet, which part is its own, and which part it keeps to itself.
 *
 * A record's decayed success and failure counts are a sum: this worker's own outcomes, plus what
 * the store added from the other workers (`foreign*`), plus nothing else. Decay is linear, so the
 * parts decay apart as they do together: own = record − foreign, at any time. A push shares the
 * own part (never what came from the fleet: nobody gets its own outcomes back); a merge replaces
 * the foreign part with the fleet's newer sums. Failures made while the local-fault guard keeps
 * this worker's openings local (its network, not the proxies) count here and are never shared.
 *
 * Latency and the last success/failure times are not sums. Times merge by the later one (a
 * maximum cannot count anything twice). Latency is the fleet's average weighted by each worker's
 * recent successes; this worker's own latency is the record's average as its own outcomes last
 * moved it (a value different from the one the store wrote there).
 */
interface Tracked {
  /** Local time the counts below are as of (they decay like the record's, from then). */
  at: number;
  foreignS: number;
  foreignF: number;
  /** Own failures kept out of what is shared. */
  localF: number;
  /** Own failures as last pushed. */
  pushedF: number;
  /** record.totalRequests at the last push (-1: never pushed). */
  pushedRequests: number;
  /** record.totalSuccesses/totalFailures as last counted into this worker's outcome counts. */
  seenSuccesses: number;
  seenFailures: number;
  /** What the store last wrote into the record: a different value there now is this worker's own. */
  wroteLatency: number | undefined;
  wroteSuccessAt: number | undefined;
  wroteFailureAt: number | undefined;
  ownLatency: number | undefined;
  ownSuccessAt: number | undefined;
  ownFailureAt: number | undefined;
  /** The own failure time last shared (one kept local is not). */
  sharedFailureAt: number | undefined;
  /** The other workers' last success through the proxy (local time), as last read. */
  foreignSuccessAt: number | undefined;
}

/** The other workers' sums for one proxy, as SCORE_READ returns them (times in server ms, -1 none). */
export interface FleetSums {
  successes: number;
  failures: number;
  latencyTimesSuccesses: number;
  successesWithLatency: number;
  lastSuccessAt: number;
  lastFailureAt: number;
}

/** What a push sends: SCORE_PUSH's per-proxy arguments, and this worker's outcomes since the last push. */
export interface Push {
  args: string[];
  /** The proxies in `args` (to push again when the push fails). */
  ids: string[];
  ok: number;
  fail: number;
  /** Every live record was looked at. */
  done: boolean;
}

/** This worker's own evidence, for the local-fault guard. */
export interface OwnEvidence {
  /** Proxies with a charged failure here after this worker's last success through any proxy. */
  failingSinceLastSuccess: number;
  /** Live proxies. */
  live: number;
}

/**
 * A rotating gateway's session (`<gateway id>#<session>`: a fixed proxy's id cannot hold a `#`,
 * its username is URL-encoded): an exit this worker minted, that no other worker has, so there
 * is nothing to share about it.
 */
const isSession = (id: string) => id.includes('#');
const round = (n: number) => String(Math.round(n * 10_000) / 10_000);
const later = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined || a >= b ? a : b);

export class ScoreShare {
  readonly #halfLifeMs: number;
  /** Only proxies this worker used or heard of: most of a large pool never needs an account. */
  readonly #tracked = new Map<string, Tracked>();
  #scratch = new Float64Array(64);

  constructor(halfLifeMs: number) {
    this.#halfLifeMs = halfLifeMs;
  }

  forget(id: string): void {
    this.#tracked.delete(id);
  }

  /** The other workers' last success through `id` (local time), as last read. */
  foreignSuccessAt(id: string): number | undefined {
    return this.#tracked.get(id)?.foreignSuccessAt;
  }

  #decay(ms: number): number {
    return ms <= 0 ? 1 : Math.exp((-ms * Math.LN2) / this.#halfLifeMs);
  }

  /** The record's counts and the account's, brought to `now` (the same decay the pool applies: the score is unchanged). */
  #bring(record: HealthRecord, t: Tracked, now: number): void {
    if (now > record.decayedAt) {
      const d = this.#decay(now - record.decayedAt);
      record.successes *= d;
      record.failures *= d;
      record.decayedAt = now;
    }
    if (now > t.at) {
      const d = this.#decay(now - t.at);
      t.foreignS *= d;
      t.foreignF *= d;
      t.localF *= d;
      t.pushedF *= d;
      t.at = now;
    }
  }

  #track(id: string, now: number): Tracked {
    let t = this.#tracked.get(id);
    if (!t) {
      t = {
        at: now,
        foreignS: 0,
        foreignF: 0,
        localF: 0,
        pushedF: 0,
        pushedRequests: -1,
        seenSuccesses: 0,
        seenFailures: 0,
        wroteLatency: undefined,
        wroteSuccessAt: undefined,
        wroteFailureAt: undefined,
        ownLatency: undefined,
        ownSuccessAt: undefined,
        ownFailureAt: undefined,
        sharedFailureAt: undefined,
        foreignSuccessAt: undefined,
      };
      this.#tracked.set(id, t);
    }
    return t;
  }

  /** Reads what changed in the record since the store last wrote it: that much is this worker's own. */
  #noteOwn(record: HealthRecord, t: Tracked): void {
    if (record.latencyMs !== t.wroteLatency) t.ownLatency = record.latencyMs;
    if (record.lastSuccessAt !== t.wroteSuccessAt) t.ownSuccessAt = record.lastSuccessAt;
    if (record.lastFailureAt !== t.wroteFailureAt) t.ownFailureAt = record.lastFailureAt;
    t.wroteLatency = record.latencyMs;
    t.wroteSuccessAt = record.lastSuccessAt;
    t.wroteFailureAt = record.lastFailureAt;
  }

  /**
   * One page of this worker's contributions that changed since its last push (at most `max`
   * proxies, looking at most `look` live records: a page is a short stretch of the event loop),
   * and its outcome counts since. `keepLocal`: its failures now are its own network's (the guard
   * says so): they stay out of what is shared, now and later; so do failures at or before `localUntil`.
   */
  collect(live: Iterator<[string, HealthRecord]>, now: number, keepLocal: boolean, localUntil: number, max: number, look: number): Push {
    const args: string[] = [];
    const ids: string[] = [];
    let ok = 0;
    let fail = 0;
    let done = false;
    for (let looked = 0; ids.length < max && looked < look; looked++) {
      const next = live.next();
      if (next.done) {
        done = true;
        break;
      }
      const [id, record] = next.value;
      if (isSession(id)) continue;
      const requests = record.totalRequests;
      let t = this.#tracked.get(id);
      if (!t) {
        if (requests === 0) continue;
        t = this.#track(id, now);
      }
      ok += record.totalSuccesses - t.seenSuccesses;
      fail += record.totalFailures - t.seenFailures;
      t.seenSuccesses = record.totalSuccesses;
      t.seenFailures = record.totalFailures;
      if (requests === t.pushedRequests) continue;
      t.pushedRequests = requests;
      this.#noteOwn(record, t);
      this.#bring(record, t, now);
      const ownS = Math.max(0, record.successes - t.foreignS);
      let ownF = Math.max(0, record.failures - t.foreignF - t.localF);
      if (keepLocal && ownF > t.pushedF) {
        t.localF += ownF - t.pushedF;
        ownF = t.pushedF;
      }
      t.pushedF = ownF;
      if (!keepLocal && t.ownFailureAt !== undefined && t.ownFailureAt > localUntil) t.sharedFailureAt = t.ownFailureAt;
      const lat = t.ownLatency;
      args.push(
        id,
        round(ownS),
        round(ownF),
        lat === undefined ? '' : round(lat),
        t.ownSuccessAt === undefined ? '' : String(Math.max(0, Math.round(now - t.ownSuccessAt))),
        t.sharedFailureAt === undefined ? '' : String(Math.max(0, Math.round(now - t.sharedFailureAt))),
      );
      ids.push(id);
    }
    return { args, ids, ok, fail, done };
  }

  /** A push did not reach Redis: these proxies (undefined: all) go with the next one. */
  unpushed(ids: readonly string[] | undefined): void {
    if (ids === undefined) for (const t of this.#tracked.values()) t.pushedRequests = -1;
    else
      for (const id of ids) {
        const t = this.#tracked.get(id);
        if (t) t.pushedRequests = -1;
      }
  }

  /**
   * Replaces the fleet's part of a live record by the other workers' newer sums (`serverNow`:
   * the server's time when it summed them). Returns whether the record changed.
   */
  merge(id: string, record: HealthRecord, now: number, serverNow: number, sums: FleetSums): boolean {
    if (isSession(id)) return false;
    let t = this.#tracked.get(id);
    const nothing = sums.successes === 0 && sums.failures === 0 && sums.lastSuccessAt < 0 && sums.lastFailureAt < 0;
    if (!t) {
      if (nothing) return false;
      t = this.#track(id, now);
    }
    this.#noteOwn(record, t);
    this.#bring(record, t, now);
    const local = (serverTime: number) => (serverTime < 0 ? undefined : now - Math.max(0, serverNow - serverTime));
    const ownS = Math.max(0, record.successes - t.foreignS);
    const before = record.successes + record.failures;
    record.successes = ownS + sums.successes;
    record.failures = Math.max(0, record.failures - t.foreignF) + sums.failures;
    t.foreignS = sums.successes;
    t.foreignF = sums.failures;

    const own = t.ownLatency;
    const others = sums.successesWithLatency > 0 ? sums.latencyTimesSuccesses / sums.successesWithLatency : undefined;
    let latency = own;
    if (others !== undefined) {
      const weight = own === undefined ? 0 : Math.max(ownS, 1e-6);
      latency = own === undefined ? others : (own * weight + sums.latencyTimesSuccesses) / (weight + sums.successesWithLatency);
    }
    t.foreignSuccessAt = local(sums.lastSuccessAt);
    const successAt = later(t.ownSuccessAt, t.foreignSuccessAt);
    const failureAt = later(t.ownFailureAt, local(sums.lastFailureAt));
    // (Counts that only decayed since the last read do not count as a change: new outcomes move a time.)
    const changed =
      Math.abs(record.successes + record.failures - before) > 0.01 * before + 1e-6 ||
      latency !== record.latencyMs ||
      successAt !== record.lastSuccessAt ||
      failureAt !== record.lastFailureAt;
    record.latencyMs = latency;
    record.lastSuccessAt = successAt;
    record.lastFailureAt = failureAt;
    t.wroteLatency = record.latencyMs;
    t.wroteSuccessAt = record.lastSuccessAt;
    t.wroteFailureAt = record.lastFailureAt;
    return changed;
  }

  /** This worker's own recent evidence: how many proxies failed here since its last success anywhere. O(live proxies). */
  evidence(live: ReadonlyMap<string, HealthRecord>): OwnEvidence {
    if (this.#scratch.length < live.size) this.#scratch = new Float64Array(live.size * 2);
    const failures = this.#scratch;
    let n = 0;
    let lastSuccess = Number.NEGATIVE_INFINITY;
    for (const [id, record] of live) {
      if (record.totalRequests === 0) continue;
      const t = this.#tracked.get(id);
      if (t) this.#noteOwn(record, t);
      const okAt = t ? t.ownSuccessAt : record.lastSuccessAt;
      const failAt = t ? t.ownFailureAt : record.lastFailureAt;
      if (okAt !== undefined && okAt > lastSuccess) lastSuccess = okAt;
      if (failAt !== undefined) failures[n++] = failAt;
    }
    let failing = 0;
    for (let i = 0; i < n; i++) if (failures[i]! > lastSuccess) failing++;
    return { failingSinceLastSuccess: failing, live: live.size };
  }
}
