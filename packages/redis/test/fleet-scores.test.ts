import { type HealthRecord, type HealthStore, ProxyPool, type ProxyPoolOptions } from '@proxy-pool/core';
import { pino } from 'pino';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisHealthStore, type StoreChange } from '../src/index.js';
import { RedisServer } from './redis-server.js';

const PROXIES = Array.from({ length: 10 }, (_, i) => `http://10.1.0.${i + 1}:8080`);
const TARGET = 'https://shop.example/item/1';

let server: RedisServer;
const cleanups: Array<() => Promise<unknown> | unknown> = [];

beforeAll(async () => {
  server = await RedisServer.start();
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await server?.stop();
});

/** The store as the pool sees it, keeping the live records for the test to read their raw numbers. */
class Spy implements HealthStore {
  readonly records = new Map<string, HealthRecord>();
  constructor(readonly inner: RedisHealthStore) {}
  attach(id: string, record: HealthRecord): void {
    this.records.set(id, record);
    this.inner.attach(id, record);
  }
  detach(id: string, record: HealthRecord): void {
    this.inner.detach(id, record);
  }
  changed(id: string, record: HealthRecord, what: 'breaker' | 'bans', target?: string): void {
    this.inner.changed(id, record, what, target);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

async function worker(namespace: string, poolOptions: Omit<ProxyPoolOptions, 'proxies' | 'healthStore'> = {}) {
  const client = createClient({ url: server.url, disableOfflineQueue: true });
  client.on('error', () => {});
  await client.connect();
  const store = new RedisHealthStore({
    client,
    namespace,
    resyncMs: 150,
    logger: process.env.DEBUG_STORE ? pino() : undefined,
  });
  const spy = new Spy(store);
  const pool = new ProxyPool({ proxies: PROXIES, healthStore: spy, ...poolOptions });
  cleanups.push(
    () => client.destroy(),
    () => store.close(),
    () => pool.close(),
  );
  await store.ready;
  return { store, pool, records: spy.records };
}

/** Resolves with the first change that matches, or rejects after `ms`. */
function changeOn(store: RedisHealthStore, match: (change: StoreChange) => boolean, ms = 3_000): Promise<StoreChange> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching store change within ${ms} ms`));
    }, ms);
    const off = store.onChange((change) => {
      if (!match(change)) return;
      clearTimeout(timer);
      off();
      resolve(change);
    });
  });
}

/** Waits for `n` whole resyncs of `store` (each pushes its score inputs, then reads the fleet's) from now. */
async function resyncs(store: RedisHealthStore, n = 2): Promise<void> {
  const before = store.resyncs;
  // One may be half done: n + 1 of them end with n that began after now.
  await expect.poll(() => store.resyncs, { timeout: 3_000, interval: 10 }).toBeGreaterThanOrEqual(before + n + 1);
}

const fail = (pool: ProxyPool, proxy: string) => pool.report(proxy, { ok: false, kind: 'proxy_unreachable' }, { target: TARGET });
const succeed = (pool: ProxyPool, proxy: string, latencyMs = 50) => pool.report(proxy, { ok: true, latencyMs }, { target: TARGET });
/** Breakers that never open: the score alone is under test. */
const NO_BREAKER = { breaker: { failureThreshold: 1_000_000 } };
const [X, Y, Z] = PROXIES as [string, string, string];

describe('score inputs shared by the fleet', () => {
  it('merges every worker’s outcomes into each one’s score, never counting a worker’s own twice', async () => {
    const a = await worker('scores', NO_BREAKER);
    const b = await worker('scores', NO_BREAKER);
    for (let i = 0; i < 5; i++) fail(a.pool, X);
    for (let i = 0; i < 5; i++) succeed(a.pool, Y, 2_000);
    expect(b.pool.getMetrics(X)!.healthScore).toBe(0.5); // not judged here yet

    await changeOn(b.store, (c) => c.proxyId === X && c.what === 'scores');
    await changeOn(b.store, (c) => c.proxyId === Y && c.what === 'scores').catch(() => undefined);
    // Another worker found X failing: it scores lower here, below a proxy nobody judged.
    expect(b.pool.getMetrics(X)!.healthScore).toBeLessThan(b.pool.getMetrics(Z)!.healthScore);
    expect(b.pool.getMetrics(X)!.healthScore).toBeLessThan(0.4);
    // …and Y slow.
    expect(b.pool.getMetrics(Y)!.avgResponseTime).toBeCloseTo(2_000, 0);
    // The counts are this worker's own: only the score's inputs are merged.
    expect(b.pool.getMetrics(X)!.totalRequests).toBe(0);

    // B's own outcomes on X reach A; neither counts its own twice, however many resyncs go by.
    const failedOnly = a.pool.getMetrics(X)!.healthScore;
    for (let i = 0; i < 5; i++) succeed(b.pool, X, 100);
    await changeOn(a.store, (c) => c.proxyId === X && c.what === 'scores');
    await resyncs(a.store);
    await resyncs(b.store);
    for (const w of [a, b]) {
      const x = w.records.get(X)!;
      expect(x.successes).toBeCloseTo(5, 1);
      expect(x.failures).toBeCloseTo(5, 1);
    }
    expect(a.records.get(Y)!.successes).toBeCloseTo(5, 1);
    expect(b.records.get(Y)!.successes).toBeCloseTo(5, 1);
    // Latency: the fleet's average weighted by each worker's successes (A has none on X: B's 100 ms).
    expect(a.pool.getMetrics(X)!.avgResponseTime).toBeCloseTo(100, 0);
    // B's successes lift X here too (B scores it a little higher still: its own streak of successes is its own).
    expect(a.pool.getMetrics(X)!.healthScore).toBeGreaterThan(failedOnly + 0.1);
  });

  it('pushes every contribution again after a Redis restart (a restarted Redis has forgotten them)', async () => {
    const a = await worker('restart', NO_BREAKER);
    for (let i = 0; i < 5; i++) fail(a.pool, Y);
    await resyncs(a.store, 1);
    await server.kill();
    await server.restart();
    // A worker that joins after the restart learns A's failures through Y once A is back.
    const late = await worker('restart', NO_BREAKER);
    await expect.poll(() => late.records.get(Y)!.failures, { timeout: 5_000 }).toBeCloseTo(5, 1);
    expect(late.pool.getMetrics(Y)!.healthScore).toBeLessThan(0.4);
  });
});

describe('one bad worker does not poison the fleet', () => {
  /** Failures through `proxies`, in turns (as a pool rotating through a broken network fails), `rounds` each. */
  function failInTurns(pool: ProxyPool, proxies: readonly string[], rounds = 3): void {
    for (let round = 0; round < rounds; round++) for (const p of proxies) fail(pool, p);
  }

  it('keeps the openings of a worker that fails through most proxies while another succeeds local, and shares again once it succeeds', async () => {
    const a = await worker('guard');
    const b = await worker('guard');
    for (const p of PROXIES) succeed(b.pool, p);
    // A hears B's report in the reply to its next push after B's.
    await resyncs(b.store, 1);
    await resyncs(a.store, 1);
    const broken = PROXIES.slice(0, 8);
    let heardOpen = 0;
    b.store.onChange((c) => {
      if (c.what === 'breaker') heardOpen++;
    });
    const scoreBefore = b.pool.getMetrics(broken[0]!)!.healthScore;

    failInTurns(a.pool, broken);
    for (const p of broken) expect(a.pool.getMetrics(p)!.circuitState).toBe('open');
    expect(a.store.openingsLocal).toBe(true);
    await resyncs(a.store);
    await resyncs(b.store);
    // B's records are untouched: no opening, and A's failures are not in B's scores.
    expect(heardOpen).toBe(0);
    for (const p of broken) expect(b.pool.getMetrics(p)!.circuitState).toBe('closed');
    expect(b.pool.getMetrics(broken[0]!)!.healthScore).toBeCloseTo(scoreBefore, 3); // (its successes fade a little with time)
    expect(b.records.get(broken[0]!)!.failures).toBe(0);

    // B goes on succeeding through them; A's network comes back: it shares again, but not the
    // openings it made meanwhile (the fleet succeeded through those proxies since).
    for (const p of broken) succeed(b.pool, p);
    await resyncs(b.store, 1);
    await resyncs(a.store, 1);
    succeed(a.pool, PROXIES[9]!);
    await resyncs(a.store, 2);
    expect(a.store.openingsLocal).toBe(false);
    await resyncs(b.store, 2);
    expect(heardOpen).toBe(0);
    for (const p of broken) expect(b.pool.getMetrics(p)!.circuitState).toBe('closed');

    // A proxy that really dies now: A's opening is the fleet's.
    const dead = PROXIES[8]!;
    const heard = changeOn(b.store, (c) => c.proxyId === dead && c.what === 'breaker');
    for (let i = 0; i < 3; i++) fail(a.pool, dead);
    expect(await heard).toMatchObject({ source: 'remote' });
    expect(b.pool.getMetrics(dead)!.circuitState).toBe('open');
  });

  it('shares a false alarm’s openings late: a fresh worker that met dead proxies first, then succeeded', async () => {
    const a = await worker('false-alarm');
    const b = await worker('false-alarm');
    const dead = PROXIES.slice(0, 4);
    for (const p of PROXIES.slice(5)) succeed(b.pool, p);
    await resyncs(b.store, 1);
    await resyncs(a.store, 1);
    let heard = 0;
    b.store.onChange((c) => {
      if (c.what === 'breaker' && dead.includes(c.proxyId)) heard++;
    });
    failInTurns(a.pool, dead); // before its first success: it looks like its own network
    expect(a.store.openingsLocal).toBe(true);
    await resyncs(b.store, 1);
    expect(heard).toBe(0);
    succeed(a.pool, PROXIES[9]!);
    // Nobody succeeded through them since: its openings were right, and the fleet gets them now.
    await expect.poll(() => heard, { timeout: 3_000 }).toBe(dead.length);
    expect(a.store.openingsLocal).toBe(false);
    for (const p of dead) expect(b.pool.getMetrics(p)!.circuitState).toBe('open');
  });

  it('shares the openings when every worker fails (the proxies really are dead)', async () => {
    const c = await worker('all-dead');
    const d = await worker('all-dead', NO_BREAKER);
    // D fails through every proxy too (its breakers stay shut here, so that only C's openings are in play).
    for (const p of PROXIES) fail(d.pool, p);
    await resyncs(d.store, 1);
    await resyncs(c.store, 1);
    const broken = PROXIES.slice(0, 8);
    const heard = Promise.all(broken.map((p) => changeOn(d.store, (change) => change.proxyId === p && change.what === 'breaker')));
    failInTurns(c.pool, broken);
    expect(c.store.openingsLocal).toBe(false);
    await heard;
    for (const p of broken) expect(d.pool.getMetrics(p)!.circuitState).toBe('open');
  });
});
