import { randomUUID } from 'node:crypto';
import type { BreakerState, Clock, HealthRecord, HealthStore } from '@proxy-pool/core';
import { systemClock } from '@proxy-pool/core';
import type { Ban } from '@proxy-pool/core';
import { type Logger, pino } from 'pino';
import type { RedisClientLike, RedisSubscriberLike } from './client.js';
import { SCRIPTS, type Script } from './scripts.js';

export interface RedisHealthStoreOptions {
  /** A connected node-redis client (`createClient({ url, disableOfflineQueue: true })`). */
  client: RedisClientLike;
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
}

/** What the store applied to a live record, and why (`remote`: a message; `resync`; `trial`: a lost trial race; `write`: the fleet's answer to this worker's own write). */
export interface StoreChange {
  proxyId: string;
  what: 'breaker' | 'bans';
  source: 'remote' | 'resync' | 'trial' | 'write';
}

type Reply = Array<string | number | Reply>;

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

const NEVER_NEGATIVE = (n: number) => (n > 0 ? n : 0);

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
 * - One half-open trial per proxy: `trialLeadMs` before an opening ends, every worker that holds
 *   it open asks for the trial token (SET NX PX). The loser keeps the breaker open until the
 *   token expires (asking again then), so its picks skip the proxy without asking Redis.
 * - Redis down or slow: calls are not sent while the client is not ready, and time out after
 *   `commandTimeoutMs`; the failure is logged once; changes made meanwhile are written when
 *   Redis is back (a dirty set), then the store resyncs. Nothing is ever thrown at the pool.
 */
export class RedisHealthStore implements HealthStore {
  readonly namespace: string;
  readonly workerId: string;
  readonly #client: RedisClientLike;
  readonly #sub: RedisSubscriberLike;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #prefix: string;
  readonly #channel: string;
  readonly #changes: string;
  readonly #timeoutMs: number;
  readonly #trialTtlMs: number;
  readonly #trialLeadMs: number;
  readonly #retainMs: number;
  readonly #live = new Map<string, HealthRecord>();
  /** Ids attached since the last load. */
  #toLoad = new Set<string>();
  #loadScheduled = false;
  /** Changes that could not be written (Redis down): written when it is back. */
  readonly #dirty = new Map<string, { breaker: boolean; bans: Set<string> }>();
  readonly #trialTimers = new Map<string, NodeJS.Timeout>();
  readonly #listeners = new Set<(change: StoreChange) => void>();
  readonly #resyncTimer: NodeJS.Timeout;
  /** Server time of the last resync (the change log is read from a little before it). */
  #syncedAt = -1;
  #down = false;
  #closed = false;
  #applying = false;
  /** Round trips sent (for measurements). */
  roundTrips = 0;
  /** Resolves when the subscriber listens (never rejects). */
  readonly ready: Promise<void>;
  readonly #onReady = () => {
    void this.#recover();
  };
  readonly #onError = (error: unknown) => this.#failed(error);

  constructor(options: RedisHealthStoreOptions) {
    if (!options || typeof options !== 'object' || !options.client)
      throw new TypeError('Expected a `client` option (a node-redis client).');
    if (typeof options.namespace !== 'string' || !/^[\w.:-]{1,100}$/.test(options.namespace)) {
      throw new TypeError('Expected `namespace` to be 1–100 letters, digits, `_`, `-`, `.` or `:`.');
    }
    this.namespace = options.namespace;
    this.workerId = options.workerId ?? randomUUID();
    this.#client = options.client;
    this.#log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'proxy-pool-redis', namespace: this.namespace });
    this.#clock = options.clock ?? systemClock;
    this.#timeoutMs = positive(options.commandTimeoutMs, 1_000, 'commandTimeoutMs');
    this.#trialTtlMs = positive(options.trialTtlMs, 30_000, 'trialTtlMs');
    this.#trialLeadMs = positive(options.trialLeadMs, 250, 'trialLeadMs');
    this.#retainMs = positive(options.retainMs, 3_600_000, 'retainMs');
    const resyncMs = positive(options.resyncMs, 5_000, 'resyncMs');
    this.#prefix = `proxy-pool:{${this.namespace}}:`;
    this.#channel = `${this.#prefix}events`;
    this.#changes = `${this.#prefix}changes`;
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
        (error: unknown) => this.#failed(error),
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
        if (ids.length > 0) void this.#read(-1, ids, 'resync');
      }).unref();
    }
  }

  detach(proxyId: string, record: HealthRecord): void {
    if (this.#live.get(proxyId) !== record) return;
    this.#live.delete(proxyId);
    this.#dirty.delete(proxyId);
    this.#clearTrialTimer(proxyId);
  }

  changed(proxyId: string, record: HealthRecord, what: 'breaker' | 'bans', target?: string): void {
    if (this.#closed || this.#applying || this.#live.get(proxyId) !== record) return;
    if (what === 'breaker') {
      const b = record.breaker;
      if (b.state === 'half-open') return; // the trial's outcome is what the fleet hears
      this.#clearTrialTimer(proxyId);
      void this.#writeBreaker(proxyId, record);
      if (b.state === 'open') this.#armTrial(proxyId, record);
    } else if (target !== undefined) void this.#writeBan(proxyId, record, target);
  }

  // ── listening ─────────────────────────────────────────────────────────────

  /** Called whenever the store applies something to a live record; returns an unsubscribe. */
  onChange(listener: (change: StoreChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Whether the last Redis call failed (the pool works on local health meanwhile). */
  get degraded(): boolean {
    return this.#down;
  }

  /** Stops listening and timers; the pool's client is left open (it is yours). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#resyncTimer);
    for (const timer of this.#trialTimers.values()) clearTimeout(timer);
    this.#trialTimers.clear();
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
        this.#armTrial(id, record);
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

  // ── the half-open trial ───────────────────────────────────────────────────

  /** `trialLeadMs` before the opening ends, ask for its trial token. */
  #armTrial(id: string, record: HealthRecord): void {
    this.#clearTrialTimer(id);
    const b = record.breaker;
    if (b.state !== 'open') return;
    const delay = Math.max(0, b.until - this.#clock.now() - this.#trialLeadMs);
    const timer = setTimeout(() => {
      this.#trialTimers.delete(id);
      void this.#claim(id, record);
    }, delay);
    timer.unref();
    this.#trialTimers.set(id, timer);
  }

  #clearTrialTimer(id: string): void {
    const timer = this.#trialTimers.get(id);
    if (timer) clearTimeout(timer);
    this.#trialTimers.delete(id);
  }

  async #claim(id: string, record: HealthRecord): Promise<void> {
    if (this.#live.get(id) !== record || record.breaker.state !== 'open') return;
    const opened = record.breaker;
    const reply = await this.#run(SCRIPTS.claim, this.#breakerKeys(id), [this.workerId, String(this.#trialLeadMs * 2 + this.#trialTtlMs)]);
    // Redis down, or no opening known to it: this worker's own breaker decides its trial.
    if (!reply || reply[1] !== 'lost') return;
    if (this.#live.get(id) !== record || record.breaker !== opened) return;
    const pttl = Number(reply[2]);
    const until = this.#clock.now() + Math.max(1, pttl > 0 ? pttl : this.#trialTtlMs);
    const next: BreakerState = { ...opened, until, reason: 'its half-open trial runs in another worker' };
    this.#apply(id, record, 'breaker', 'trial', next);
    this.#armTrial(id, record);
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
    this.#armTrial(id, record);
  }

  #applyClose(id: string, record: HealthRecord, serverNow: number, since: number, streak: number, source: StoreChange['source']): void {
    const b = record.breaker;
    if (b.state === 'closed') return;
    const localSince = this.#clock.now() - NEVER_NEGATIVE(serverNow - since);
    // An opening here after the fleet's closing is newer than it.
    if (b.state === 'open' && b.openedAt > localSince) return;
    if (this.#dirty.get(id)?.breaker) return;
    this.#clearTrialTimer(id);
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
    if (this.#listeners.size > 0) {
      const change: StoreChange = { proxyId: id, what, source };
      for (const listener of this.#listeners) {
        try {
          listener(change);
        } catch (error) {
          this.#log.error({ err: error }, 'a store change listener threw');
        }
      }
    }
  }

  // ── resync ────────────────────────────────────────────────────────────────

  /** On (re)connect and every `resyncMs`: write what could not be written, then read what changed. */
  async #recover(): Promise<void> {
    if (this.#closed || !this.#client.isReady) return;
    for (const [id, dirty] of [...this.#dirty]) {
      const record = this.#live.get(id);
      this.#dirty.delete(id);
      if (!record) continue;
      if (dirty.breaker && record.breaker.state !== 'half-open') await this.#writeBreaker(id, record);
      for (const target of dirty.bans) await this.#writeBan(id, record, target);
    }
    // A restarted Redis forgets everything: what this worker knows is written again by the dirty set.
    await this.#read(this.#syncedAt < 0 ? -1 : this.#syncedAt - 2_000, [], 'resync');
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

  #markDirty(id: string, what: 'breaker' | 'bans', target?: string): void {
    if (!this.#live.has(id)) return;
    let dirty = this.#dirty.get(id);
    if (!dirty) this.#dirty.set(id, (dirty = { breaker: false, bans: new Set() }));
    if (what === 'breaker') dirty.breaker = true;
    else if (target !== undefined) dirty.bans.add(target);
  }

  /** One script call: by SHA, loaded again when Redis does not know it; undefined when Redis failed. Never throws. */
  async #run(script: Script, keys: string[], args: string[]): Promise<Reply | undefined> {
    if (this.#closed) return undefined;
    if (!this.#client.isReady) {
      this.#failed(new Error('the Redis client is not connected'));
      return undefined;
    }
    try {
      this.roundTrips++;
      let reply: unknown;
      try {
        reply = await this.#timed(this.#client.evalSha(script.sha, { keys, arguments: args }));
      } catch (error) {
        if (!String((error as Error)?.message ?? error).startsWith('NOSCRIPT')) throw error;
        this.roundTrips++;
        reply = await this.#timed(this.#client.eval(script.source, { keys, arguments: args }));
      }
      if (this.#down) {
        this.#down = false;
        this.#log.info('redis is back: sharing health again');
      }
      return reply as Reply;
    } catch (error) {
      this.#failed(error);
      return undefined;
    }
  }

  #timed<T>(promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`redis did not answer within ${this.#timeoutMs} ms`)), this.#timeoutMs);
      timer.unref();
    });
    promise.catch(() => {}); // a late rejection after the timeout is not unhandled
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  #failed(error: unknown): void {
    if (this.#down || this.#closed) return;
    this.#down = true;
    this.#log.warn(
      { err: error instanceof Error ? { message: error.message } : String(error) },
      'redis unavailable: working on local health until it is back',
    );
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
