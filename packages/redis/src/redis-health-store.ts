import { randomUUID } from 'node:crypto';
import type { BreakerState, Clock, HealthRecord, HealthStore, HealthStoreLink, LimitAnswer, LimitClaim } from '@proxy-pool/core';
import { systemClock } from '@proxy-pool/core';
import type { Ban } from '@proxy-pool/core';
import { type Logger, pino } from 'pino';
import type { RedisClientLike, RedisSubscriberLike } from './client.js';
import { Connection, type Reply } from './connection.js';
import { FleetLimits } from './fleet-limits.js';
import { FleetNews, isNewsMessage } from './fleet-news.js';
import { FleetScores } from './fleet-scores.js';
import { FleetTrials } from './fleet-trials.js';
import { type IoredisLike, fromIoredis, isIoredis } from './ioredis.js';
import type { LocalFaultGuardOptions } from './local-fault-guard.js';
import { SCRIPTS, type Script } from './scripts.js';

export interface RedisHealthStoreOptions {
  /**
   * A node-redis client (`createClient({ url, disableOfflineQueue: true })`, connected), or an
   * ioredis one (`new Redis(url, { enableOfflineQueue: false })`): the store tells them apart.
   */
  client: RedisClientLike | IoredisLike;
  /** Pools with the same namespace share what they learn. Keys sit under the `{namespace}` hash tag. */
  namespace: string;
  /** Where store errors go (once per outage). @default silent */
  logger?: Logger;
  /** The pool's clock (the records' times are its). @default systemClock */
  clock?: Clock;
  /** Longest wait for one Redis call; a slower one counts as failed. @default 1_000 */
  commandTimeoutMs?: number;
  /** Periodic resync (pub/sub loses messages while disconnected). @default 5_000 */
  resyncMs?: number;
  /** How long a worker's half-open trial token lasts (a crashed worker's trial comes back after it). @default 30_000 */
  trialTtlMs?: number;
  /** How long before an opening ends the workers race for its trial. @default 250 */
  trialLeadMs?: number;
  /** How long a record outlives its last change (and how long a ban's level is remembered). @default 3_600_000 */
  retainMs?: number;
  /** This worker's name in trial tokens and messages (no secret). @default a random UUID */
  workerId?: string;
  /**
   * The pools' `score.halfLifeMs`: shared success and failure counts decay at this rate. Set it
   * when you change the pools' (every worker alike). @default 600_000
   */
  scoreHalfLifeMs?: number;
  /**
   * Keeps a worker's breaker openings local while most of its proxies fail here and other workers
   * succeed (its own network is broken, not the proxies). `false` turns it off. @default { fraction: 0.25, minProxies: 3 }
   */
  localFaultGuard?: LocalFaultGuardOptions | false;
}

/**
 * What the store applied to a live record, and why (`remote`: a message; `resync`; `trial`: a
 * lost trial race; `write`: the fleet's answer to this worker's own write). `scores`: the other
 * workers' score inputs were merged into the record (on a resync).
 */
export interface StoreChange {
  proxyId: string;
  what: 'breaker' | 'bans' | 'scores';
  source: 'remote' | 'resync' | 'trial' | 'write';
}

interface Message {
  w: string;
  t: 'open' | 'close' | 'ban';
  id: string;
  n: number;
  u?: number;
  o?: number;
  k?: number | string;
  r?: string;
  s?: number;
  g?: string;
  l?: number;
  a?: number;
}

const NEVER_NEGATIVE = (n: number) => Math.max(0, n);

/**
 * A `HealthStore` shared by every pool with the same namespace, on Redis. Picks never wait on it:
 * the pool reads its live records, and the store writes to them between calls into the pool.
 *
 * - The pool tells it of breaker and ban changes (`changed`); each is one Lua script (EVALSHA,
 *   reloaded after a restart) on Redis server time, which writes, sets a TTL and PUBLISHes.
 * - Other workers' changes arrive by pub/sub (a duplicate connection) and replace the live
 *   records' `breaker` and `bans` whole; a resync on every (re)connect and every `resyncMs`
 *   reads the namespace's change log, since pub/sub loses what is sent while disconnected.
 * - Times cross the wire as server times and are turned into this worker's clock by the gap
 *   to the server's `now` sent with them: no worker compares its clock with another's.
 * - One half-open trial per proxy (fleet-trials.ts): `trialLeadMs` before an opening ends, every
 *   worker that holds it open asks for the trial token (SET NX PX). The loser keeps the breaker
 *   open until the token expires (asking again then), so its picks skip the proxy without asking Redis.
 * - Score inputs (fleet-scores.ts, score-share.ts): every resync pushes this worker's own part of
 *   each record that changed and merges the other workers' sums in; never a worker's own twice.
 * - The local-fault guard (local-fault-guard.ts): while most of this worker's proxies fail here
 *   and other workers succeed, its openings and failures stay local.
 * - Redis down or slow: calls are not sent while the client is not ready, and time out after
 *   `commandTimeoutMs`; the failure is logged once; changes made meanwhile are written when
 *   Redis is back (a dirty set), and after any reconnect everything this worker knows (open
 *   breakers, bans, score inputs) is written again (a restarted Redis forgot it); then the store
 *   resyncs. Nothing is ever thrown at the pool. An ioredis client is wrapped (ioredis.ts).
 */
export class RedisHealthStore implements HealthStore {
  readonly namespace: string;
  readonly workerId: string;
  readonly #client: RedisClientLike;
  readonly #redis: Connection;
  readonly #scores: FleetScores;
  readonly #sub: RedisSubscriberLike;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #prefix: string;
  readonly #channel: string;
  readonly #changes: string;
  readonly #retainMs: number;
  readonly #live = new Map<string, HealthRecord>();
  /** Ids attached since the last load. */
  #toLoad = new Set<string>();
  #loadScheduled = false;
  /** Changes that could not be written (Redis down): written when it is back. */
  readonly #dirty = new Map<string, { breaker: boolean; bans: Set<string> }>();
  readonly #trials: FleetTrials;
  /** `limits` fleet-wide (fleet-limits.ts) and targets down and gateways' breakers (fleet-news.ts). */
  readonly #limits: FleetLimits;
  readonly #news: FleetNews;
  /** The pool's link: woken after this store changed live records. */
  #link: HealthStoreLink | undefined;
  readonly #listeners = new Set<(change: StoreChange) => void>();
  readonly #resyncTimer: NodeJS.Timeout;
  /** Server time of the last resync (the change log is read from a little before it). */
  #syncedAt = -1;
  #closed = false;
  #applying = false;
  #recovering = false;
  #recoverAgain = false;
  #resyncs = 0;
  /** Resolves when the subscriber listens (never rejects). */
  readonly ready: Promise<void>;
  readonly #onReady = () => {
    // A Redis that restarted has forgotten what every worker knew: this one writes its share again
    // (its score inputs, its open breakers, its bans; the scripts keep whatever is newer).
    this.#scores.reconnected();
    this.#rewriteAll();
    void this.#recover();
  };
  readonly #onError = (error: unknown) => this.#redis.failed(error);

  constructor(options: RedisHealthStoreOptions) {
    if (!options || typeof options !== 'object' || !options.client)
      throw new TypeError('Expected a `client` option (a node-redis or ioredis client).');
    if (typeof options.namespace !== 'string' || !/^[\w.:-]{1,100}$/.test(options.namespace)) {
      throw new TypeError('Expected `namespace` to be 1–100 letters, digits, `_`, `-`, `.` or `:`.');
    }
    this.namespace = options.namespace;
    this.workerId = options.workerId ?? randomUUID();
    this.#client = isIoredis(options.client) ? fromIoredis(options.client) : options.client;
    this.#log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'proxy-pool-redis', namespace: this.namespace });
    this.#clock = options.clock ?? systemClock;
    this.#redis = new Connection(this.#client, this.#log, positive(options.commandTimeoutMs, 1_000, 'commandTimeoutMs'));
    this.#retainMs = positive(options.retainMs, 3_600_000, 'retainMs');
    const resyncMs = positive(options.resyncMs, 5_000, 'resyncMs');
    this.#prefix = `proxy-pool:{${this.namespace}}:`;
    this.#channel = `${this.#prefix}events`;
    this.#changes = `${this.#prefix}changes`;
    this.#trials = new FleetTrials({
      live: this.#live,
      clock: this.#clock,
      workerId: this.workerId,
      leadMs: positive(options.trialLeadMs, 250, 'trialLeadMs'),
      ttlMs: positive(options.trialTtlMs, 30_000, 'trialTtlMs'),
      run: (script, keys, args) => this.#run(script, keys, args),
      keys: (id) => this.#breakerKeys(id),
      lost: (id, record, next) => this.#apply(id, record, 'breaker', 'trial', next),
    });
    this.#scores = new FleetScores({
      connection: this.#redis,
      live: this.#live,
      clock: this.#clock,
      log: this.#log,
      prefix: this.#prefix,
      workerId: this.workerId,
      halfLifeMs: positive(options.scoreHalfLifeMs, 600_000, 'scoreHalfLifeMs'),
      retainMs: this.#retainMs,
      reportTtlMs: Math.max(3 * resyncMs, 10_000),
      guard: options.localFaultGuard ?? {},
      merged: (id) => this.#announce({ proxyId: id, what: 'scores', source: 'resync' }),
      share: (id, record) => void this.#writeBreaker(id, record),
    });
    const run = (script: Script, keys: string[], args: string[]) => this.#run(script, keys, args);
    // A crashed worker's claims come back after a few resyncs; a live worker's are refreshed on each.
    this.#limits = new FleetLimits({ run, prefix: this.#prefix, workerId: this.workerId, claimTtlMs: Math.max(3 * resyncMs, 15_000) });
    this.#news = new FleetNews({
      run,
      prefix: this.#prefix,
      channel: this.#channel,
      workerId: this.workerId,
      now: () => this.#clock.now(),
      retainMs: this.#retainMs,
    });
    this.#client.on('ready', this.#onReady);
    this.#client.on('error', this.#onError);
    this.#sub = this.#client.duplicate();
    this.#sub.on('error', this.#onError);
    // A resubscribed connection may have missed messages: resync.
    this.#sub.on('ready', this.#onReady);
    this.ready = this.#sub
      .connect()
      .then(() => this.#sub.subscribe(this.#channel, (message) => this.#onMessage(message)))
      .then(
        () => undefined,
        (error: unknown) => this.#redis.failed(error),
      );
    this.#resyncTimer = setInterval(() => void this.#recover(), resyncMs);
    this.#resyncTimer.unref();
  }

  // ── HealthStore ───────────────────────────────────────────────────────────

  attach(proxyId: string, record: HealthRecord): void {
    if (this.#closed) return;
    this.#live.set(proxyId, record);
    this.#toLoad.add(proxyId);
    if (!this.#loadScheduled) {
      this.#loadScheduled = true;
      setImmediate(() => {
        this.#loadScheduled = false;
        const ids = [...this.#toLoad];
        this.#toLoad = new Set();
        if (ids.length === 0) return;
        void this.#read(-1, ids, 'resync');
        void this.#scores.load(ids);
      }).unref();
    }
  }

  detach(proxyId: string, record: HealthRecord): void {
    if (this.#live.get(proxyId) !== record) return;
    this.#live.delete(proxyId);
    this.#dirty.delete(proxyId);
    this.#scores.forget(proxyId);
    this.#trials.clear(proxyId);
  }

  changed(proxyId: string, record: HealthRecord, what: 'breaker' | 'bans', target?: string): void {
    if (this.#closed || this.#applying || this.#live.get(proxyId) !== record) return;
    if (what === 'breaker') {
      const b = record.breaker;
      this.#trials.clear(proxyId);
      // The trial's outcome is what the fleet hears; meanwhile this worker keeps the trial's token.
      if (b.state === 'half-open') {
        this.#trials.keep(proxyId, record);
        return;
      }
      // An opening the local-fault guard blames on this worker stays here (its trial still asks the fleet).
      if (!(b.state === 'open' && this.#scores.holds(proxyId, record, b))) void this.#writeBreaker(proxyId, record);
      if (b.state === 'open') this.#trials.arm(proxyId, record);
    } else if (target !== undefined) void this.#writeBan(proxyId, record, target);
  }

  link(link: HealthStoreLink): void {
    this.#link = link;
    this.#news.link(link);
  }

  targetChanged(target: string, down: boolean): void {
    // A worker the local-fault guard blames finds every site down: that stays here too.
    if (this.#closed || (down && this.#scores.local)) return;
    void this.#news.targetChanged(target, down);
  }

  gatewayChanged(gatewayId: string, breaker: BreakerState): void {
    if (this.#closed || (breaker.state === 'open' && this.#scores.local)) return;
    void this.#news.gatewayChanged(gatewayId, breaker);
  }

  /** One round trip: granted, or the fleet's limit and how long it holds the proxy (granted when Redis cannot answer). */
  claim(claim: LimitClaim): Promise<LimitAnswer> {
    return this.#closed ? Promise.resolve({ ok: true }) : this.#limits.claim(claim);
  }

  release(claim: LimitClaim): void {
    this.#limits.release(claim);
  }

  // ── listening ─────────────────────────────────────────────────────────────

  /** Called whenever the store applies something to a live record; returns an unsubscribe. */
  onChange(listener: (change: StoreChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Whether the last Redis call failed (the pool works on local health meanwhile). */
  get degraded(): boolean {
    return this.#redis.down;
  }

  /** Resyncs completed (for tests and measurements). */
  get resyncs(): number {
    return this.#resyncs;
  }

  /** Round trips sent to Redis (for measurements). */
  get roundTrips(): number {
    return this.#redis.roundTrips;
  }

  /** Whether the local-fault guard keeps this worker's breaker openings local now (see `localFaultGuard`). */
  get openingsLocal(): boolean {
    return this.#scores.local;
  }

  /** Stops listening and timers; the pool's client is left open (it is yours). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#redis.close();
    clearInterval(this.#resyncTimer);
    this.#trials.close();
    this.#client.off('ready', this.#onReady);
    this.#client.off('error', this.#onError);
    this.#live.clear();
    await this.ready;
    try {
      this.#sub.destroy();
    } catch {
      // already closed
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ── writes ────────────────────────────────────────────────────────────────

  async #writeBreaker(id: string, record: HealthRecord): Promise<void> {
    const b = record.breaker;
    const now = this.#clock.now();
    const keys = this.#breakerKeys(id);
    if (b.state === 'open') {
      const reply = await this.#run(SCRIPTS.open, keys, [
        id,
        String(Math.max(1, Math.round(b.until - now))),
        String(b.streak),
        b.reason,
        this.workerId,
        String(this.#retainMs),
        this.#channel,
      ]);
      if (!reply) return this.#markDirty(id, 'breaker');
      const [serverNow, until, openedAt, streak, reason, changed] = reply as [number, number, number, number, string, number];
      // Someone opened it first: the fleet's opening is this worker's too.
      if (changed === 0 && this.#live.get(id) === record && record.breaker.state === 'open') {
        this.#apply(id, record, 'breaker', 'write', this.#openState(serverNow, until, openedAt, streak, reason));
        this.#trials.arm(id, record);
      }
    } else if (b.state === 'closed') {
      const reply = await this.#run(SCRIPTS.close, keys, [id, String(b.streak), this.workerId, String(this.#retainMs), this.#channel]);
      if (!reply) this.#markDirty(id, 'breaker');
    }
  }

  async #writeBan(id: string, record: HealthRecord, target: string): Promise<void> {
    const ban = record.bans.get(target);
    if (!ban) return;
    const now = this.#clock.now();
    const reply = await this.#run(
      SCRIPTS.ban,
      [`${this.#prefix}bans:${id}`, `${this.#prefix}bans:${id}`, this.#changes],
      [
        id,
        target,
        ban.kind,
        String(Math.max(1, Math.round(ban.until - now))),
        String(ban.level),
        this.workerId,
        String(this.#retainMs),
        this.#channel,
      ],
    );
    if (!reply) return this.#markDirty(id, 'bans', target);
    const [serverNow, until, level, kind, at, changed] = reply as [number, number, number, Ban['kind'], number, number];
    if (changed === 0) this.#mergeBan(id, record, target, serverNow, until, level, kind, at, 'write');
  }

  // ── what the fleet says ───────────────────────────────────────────────────

  #onMessage(text: string): void {
    if (this.#closed) return;
    let message: Message;
    try {
      message = JSON.parse(text) as Message;
    } catch {
      return;
    }
    if (message.w === this.workerId) return;
    if (isNewsMessage(message as { t: string })) return void this.#news.apply(message as never);
    const record = this.#live.get(message.id);
    if (!record) return;
    if (message.t === 'open') {
      this.#applyOpen(message.id, record, message.n, message.u!, message.o!, Number(message.k), message.r ?? '', 'remote');
    } else if (message.t === 'close') {
      this.#applyClose(message.id, record, message.n, message.s!, Number(message.k), 'remote');
    } else if (message.t === 'ban') {
      this.#mergeBan(message.id, record, message.g!, message.n, message.u!, message.l!, message.k as Ban['kind'], message.a!, 'remote');
    }
  }

  #openState(serverNow: number, until: number, openedAt: number, streak: number, reason: string): BreakerState & { state: 'open' } {
    const now = this.#clock.now();
    return {
      state: 'open',
      openedAt: now - NEVER_NEGATIVE(serverNow - openedAt),
      until: now + (until - serverNow),
      streak,
      reason: reason || 'opened by another worker',
    };
  }

  #applyOpen(
    id: string,
    record: HealthRecord,
    serverNow: number,
    until: number,
    openedAt: number,
    streak: number,
    reason: string,
    source: StoreChange['source'],
  ): void {
    if (until <= serverNow) return;
    const next = this.#openState(serverNow, until, openedAt, streak, reason);
    const b = record.breaker;
    // Already open at least as long here (within a few ms of transit): nothing to learn.
    if (b.state === 'open' && b.until >= next.until - 5) return;
    if (b.state === 'half-open' && b.trials > 0) return; // its own trial is running: its outcome decides
    this.#apply(id, record, 'breaker', source, next);
    this.#trials.arm(id, record);
  }

  #applyClose(id: string, record: HealthRecord, serverNow: number, since: number, streak: number, source: StoreChange['source']): void {
    const b = record.breaker;
    if (b.state === 'closed') return;
    const localSince = this.#clock.now() - NEVER_NEGATIVE(serverNow - since);
    // An opening here after the fleet's closing is newer than it.
    if (b.state === 'open' && b.openedAt > localSince) return;
    if (this.#dirty.get(id)?.breaker) return;
    this.#trials.clear(id);
    this.#apply(id, record, 'breaker', source, { state: 'closed', failures: 0, streak, since: localSince });
  }

  #mergeBan(
    id: string,
    record: HealthRecord,
    target: string,
    serverNow: number,
    until: number,
    level: number,
    kind: Ban['kind'],
    at: number,
    source: StoreChange['source'],
  ): void {
    if (until <= serverNow) return;
    const now = this.#clock.now();
    const ban: Ban = { until: now + (until - serverNow), level, kind, at: now - NEVER_NEGATIVE(serverNow - at) };
    const current = record.bans.get(target);
    if (current && current.until >= ban.until - 5) return;
    const bans = new Map(record.bans);
    bans.set(target, ban);
    this.#apply(id, record, 'bans', source, bans);
  }

  #apply(
    id: string,
    record: HealthRecord,
    what: 'breaker' | 'bans',
    source: StoreChange['source'],
    value: BreakerState | Map<string, Ban>,
  ): void {
    this.#applying = true;
    try {
      if (what === 'breaker') record.breaker = value as BreakerState;
      else record.bans = value as Map<string, Ban>;
    } finally {
      this.#applying = false;
    }
    this.#announce({ proxyId: id, what, source });
  }

  #announce(change: StoreChange): void {
    // Waiting acquires look again: another worker's closing or a lost trial may free a member.
    if (change.what !== 'scores') this.#link?.changed();
    if (this.#listeners.size === 0) return;
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (error) {
        this.#log.error({ err: error }, 'a store change listener threw');
      }
    }
  }

  // ── resync ────────────────────────────────────────────────────────────────

  /**
   * On (re)connect and every `resyncMs`: write what could not be written, read what changed, then
   * push this worker's score inputs and read the fleet's. One at a time: a call while one runs
   * makes it run once more when it ends (a reconnect during a resync must not be missed).
   */
  async #recover(): Promise<void> {
    if (this.#closed || !this.#client.isReady) return;
    if (this.#recovering) {
      this.#recoverAgain = true;
      return;
    }
    this.#recovering = true;
    try {
      for (const [id, dirty] of [...this.#dirty]) {
        const record = this.#live.get(id);
        this.#dirty.delete(id);
        if (!record) continue;
        if (dirty.breaker && record.breaker.state !== 'half-open') await this.#writeBreaker(id, record);
        for (const target of dirty.bans) await this.#writeBan(id, record, target);
      }
      // A restarted Redis forgets everything: what this worker knows is written again by the dirty set.
      await this.#read(this.#syncedAt < 0 ? -1 : this.#syncedAt - 2_000, [], 'resync');
      if (!this.#closed) await this.#scores.sync();
      if (!this.#closed) await this.#news.resync();
      if (!this.#closed) await this.#limits.refresh();
      this.#resyncs++;
    } finally {
      this.#recovering = false;
    }
    if (this.#recoverAgain) {
      this.#recoverAgain = false;
      await this.#recover();
    }
  }

  async #read(since: number, ids: string[], source: StoreChange['source']): Promise<void> {
    if (since < 0 && ids.length === 0) {
      if (this.#syncedAt >= 0 || this.#live.size === 0) return;
      ids = [...this.#live.keys()];
    }
    const reply = await this.#run(SCRIPTS.read, [this.#changes], [this.#prefix, String(since), ...ids]);
    if (!reply) return;
    const serverNow = Number(reply[0]);
    if (since >= 0 || this.#syncedAt < 0) this.#syncedAt = serverNow;
    for (let i = 1; i < reply.length; i++) {
      const [id, breakerFields, banFields] = reply[i] as [string, string[], string[]];
      const record = this.#live.get(id);
      if (!record) continue;
      const b = fields(breakerFields);
      if (b.state === 'open') {
        this.#applyOpen(id, record, serverNow, Number(b.until), Number(b.openedAt), Number(b.streak), b.reason ?? '', source);
      } else if (b.state === 'closed') this.#applyClose(id, record, serverNow, Number(b.since), Number(b.streak), source);
      for (let j = 0; j + 1 < banFields.length; j += 2) {
        const target = banFields[j]!;
        try {
          const ban = JSON.parse(banFields[j + 1]!) as { u: number; l: number; k: Ban['kind']; a: number };
          this.#mergeBan(id, record, target, serverNow, ban.u, ban.l, ban.k, ban.a, source);
        } catch {
          // not ours
        }
      }
    }
  }

  // ── Redis calls ───────────────────────────────────────────────────────────

  #breakerKeys(id: string): string[] {
    return [`${this.#prefix}b:${id}`, `${this.#prefix}trial:${id}`, this.#changes];
  }

  /** Every open breaker (but those the guard keeps local) and every ban of this worker's, written again by the next resync. */
  #rewriteAll(): void {
    const now = this.#clock.now();
    for (const [id, record] of this.#live) {
      const b = record.breaker;
      if (b.state === 'open' && b.until > now && !this.#scores.isHeld(id)) this.#markDirty(id, 'breaker');
      for (const [target, ban] of record.bans) if (ban.until > now) this.#markDirty(id, 'bans', target);
    }
  }

  #markDirty(id: string, what: 'breaker' | 'bans', target?: string): void {
    if (!this.#live.has(id)) return;
    let dirty = this.#dirty.get(id);
    if (!dirty) this.#dirty.set(id, (dirty = { breaker: false, bans: new Set() }));
    if (what === 'breaker') dirty.breaker = true;
    else if (target !== undefined) dirty.bans.add(target);
  }

  #run(script: Script, keys: string[], args: string[]): Promise<Reply | undefined> {
    return this.#redis.run(script, keys, args);
  }
}

function fields(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) out[list[i]!] = list[i + 1]!;
  return out;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw new RangeError(`Expected \`${name}\` to be a positive number, got ${String(value)}.`);
  return value;
}
