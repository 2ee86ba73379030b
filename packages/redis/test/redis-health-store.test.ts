import { ProxyPool, type ProxyPoolOptions } from '@proxy-pool/core';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisHealthStore, type RedisHealthStoreOptions, type StoreChange } from '../src/index.js';
import { RedisServer } from './redis-server.js';

const PROXIES = ['http://alice:s3cr3t-pw@10.0.0.1:8080', 'http://bob:hunter2-pw@10.0.0.2:8080', 'http://10.0.0.3:8080'];
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

type ClientKind = 'node-redis' | 'ioredis';

/** A node-redis client (the store's and the tests' admin). */
async function client() {
  const c = createClient({ url: server.url, disableOfflineQueue: true, socket: { reconnectStrategy: () => 50, connectTimeout: 1_000 } });
  c.on('error', () => {});
  await c.connect();
  cleanups.push(() => c.destroy());
  return c;
}

/** An ioredis client as the guide has it: no offline queue, handed to the store while it still connects (quick reconnects here). */
function ioredisClient() {
  const c = new Redis(server.url, { enableOfflineQueue: false, retryStrategy: () => 50, connectTimeout: 1_000 });
  c.on('error', () => {});
  cleanups.push(() => c.disconnect());
  return c;
}

async function workerOf(
  namespace: string,
  options: Partial<ConstructorParameters<typeof RedisHealthStore>[0]> = {},
  poolOptions: Omit<ProxyPoolOptions, 'proxies' | 'healthStore'> = { breaker: { openMs: 60_000 } },
  kind: ClientKind = 'node-redis',
) {
  const store = new RedisHealthStore({
    client: kind === 'ioredis' ? ioredisClient() : await client(),
    namespace: `${namespace}-${kind}`,
    commandTimeoutMs: 300,
    logger: process.env.DEBUG_STORE ? pino() : undefined,
    ...options,
  });
  const pool = new ProxyPool({ proxies: PROXIES, healthStore: store, ...poolOptions });
  cleanups.push(
    () => store.close(),
    () => pool.close(),
  );
  await store.ready;
  return { store, pool };
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

/** A ban waits for proof that the target works through another proxy: a success through `witness` gives it. */
function ban(pool: ProxyPool, proxy: string, witness: string, kind: 'blocked' | 'rate_limited' = 'blocked'): void {
  pool.report(proxy, { ok: false, kind, status: kind === 'blocked' ? 403 : 429 }, { target: TARGET });
  pool.report(witness, { ok: true, latencyMs: 5 }, { target: TARGET });
  expect(pool.getMetrics(proxy)!.bannedOn).toEqual(['shop.example']);
}

function openBreaker(pool: ProxyPool, proxy: string): void {
  for (let i = 0; i < 3; i++) pool.report(proxy, { ok: false, kind: 'proxy_unreachable' }, { target: TARGET });
}

const idOf = (pool: ProxyPool, i: number) => pool.proxies[i]!.id;

// Every sharing test runs through both clients: node-redis (recommended) and ioredis (wrapped).
describe.each<ClientKind>(['node-redis', 'ioredis'])('RedisHealthStore through %s', (kind) => {
  const worker = (
    namespace: string,
    options?: Partial<RedisHealthStoreOptions>,
    poolOptions?: Omit<ProxyPoolOptions, 'proxies' | 'healthStore'>,
  ) => workerOf(namespace, options, poolOptions, kind);

  it('shares a breaker opening and a ban between two pools of one namespace, and not with another namespace', async () => {
    const a = await worker('shared');
    const b = await worker('shared');
    const other = await worker('other');
    let otherChanges = 0;
    other.store.onChange(() => otherChanges++);
    const proxy = idOf(a.pool, 0);

    const opened = changeOn(b.store, (c) => c.proxyId === proxy && c.what === 'breaker');
    openBreaker(a.pool, proxy);
    expect(a.pool.getMetrics(proxy)!.circuitState).toBe('open');
    expect(await opened).toMatchObject({ source: 'remote' });
    expect(b.pool.getMetrics(proxy)!.circuitState).toBe('open');
    // B's picks skip it at once.
    for (let i = 0; i < 20; i++) expect(b.pool.getProxy({ target: TARGET })?.id).not.toBe(proxy);

    const banned = idOf(a.pool, 1);
    const banOn = changeOn(b.store, (c) => c.proxyId === banned && c.what === 'bans');
    ban(a.pool, banned, idOf(a.pool, 2));
    await banOn;
    expect(b.pool.getMetrics(banned)!.bannedOn).toEqual(['shop.example']);
    expect(b.pool.getMetrics(banned)!.circuitState).toBe('closed');

    // A ban written after the other namespace's pool would have heard it: it heard nothing.
    const marker = changeOn(b.store, (c) => c.proxyId === idOf(a.pool, 2));
    openBreaker(a.pool, idOf(a.pool, 2));
    await marker;
    expect(otherChanges).toBe(0);
    expect(other.pool.getMetrics(proxy)!.circuitState).toBe('closed');
    expect(other.pool.getMetrics(banned)!.bannedOn).toEqual([]);

    // A pool that joins later learns from what Redis holds (attach loads it).
    const late = await worker('shared');
    await expect.poll(() => late.pool.getMetrics(banned)!.bannedOn, { timeout: 3_000 }).toEqual(['shop.example']);
    await expect.poll(() => late.pool.getMetrics(proxy)!.circuitState, { timeout: 3_000 }).toBe('open');
  });

  it('is not told of successes on a closed breaker (the hot path), and writes once per state change', async () => {
    const a = await worker('hot');
    let calls = 0;
    const changed = a.store.changed.bind(a.store);
    a.store.changed = (...args) => {
      calls++;
      changed(...args);
    };
    await expect.poll(() => a.store.roundTrips, { timeout: 2_000 }).toBeGreaterThan(0); // the attach load
    const before = a.store.roundTrips;
    for (let i = 0; i < 1_000; i++) (await a.pool.acquire({ target: TARGET })).success({ latencyMs: 5 });
    expect(calls).toBe(0);
    expect(a.store.roundTrips).toBe(before);
    const proxy = idOf(a.pool, 0);
    openBreaker(a.pool, proxy);
    expect(calls).toBe(1);
    await expect.poll(() => a.store.roundTrips - before, { timeout: 2_000 }).toBeGreaterThanOrEqual(1);
    // One script call (two when Redis had to load the script first: NOSCRIPT, then EVAL).
    expect(a.store.roundTrips - before).toBeLessThanOrEqual(2);
  });

  it('gives every key a TTL and writes no password anywhere', async () => {
    const a = await worker('ttl', { resyncMs: 200 });
    openBreaker(a.pool, idOf(a.pool, 0));
    ban(a.pool, idOf(a.pool, 1), idOf(a.pool, 2), 'rate_limited');
    const admin = await client();
    // Breaker, bans, change log; then the score inputs, their log and the workers' reports (on the next resync).
    const kinds = async () => new Set((await admin.keys(`proxy-pool:{ttl-${kind}}:*`)).map((k) => k.split('}:')[1]!.split(':')[0]));
    await expect.poll(kinds, { timeout: 3_000 }).toEqual(new Set(['b', 'bans', 'changes', 's', 'scores', 'workers']));
    const keys = await admin.keys('*');
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(await admin.pTTL(key), key).toBeGreaterThan(0);
      expect(key).not.toMatch(/s3cr3t|hunter2/);
      const type = await admin.type(key);
      const value =
        type === 'hash'
          ? JSON.stringify(await admin.hGetAll(key))
          : type === 'zset'
            ? JSON.stringify(await admin.zRange(key, 0, -1))
            : String(await admin.get(key));
      expect(value, key).not.toMatch(/s3cr3t|hunter2/);
    }
  });

  it('lets one worker of the fleet trial a half-open proxy; the others keep it open until the trial ends', async () => {
    const workers = await Promise.all(
      [1, 2, 3].map(() =>
        // A call slower than commandTimeoutMs is an outage, and then each worker trials on its own (by design): 300 ms was too short at CI's load.
        worker('trial', { trialLeadMs: 200, trialTtlMs: 5_000, commandTimeoutMs: 3_000 }, { breaker: { openMs: 800, jitter: 0 } }),
      ),
    );
    const pools = workers.map((w) => w.pool);
    const proxy = idOf(pools[0]!, 0);
    // (Generous waits: this test ran beside three Chromiums at a load of 30 and took 3 s for one message.)
    const heard = workers.slice(1).map(({ store }) => changeOn(store, (c) => c.proxyId === proxy && c.source === 'remote', 8_000));
    openBreaker(pools[0]!, proxy);
    await Promise.all(heard);
    // After the opening: exactly one worker admits a trial, the others lost the race for it.
    const lost = new Set<number>();
    for (const [i, { store }] of workers.entries()) {
      store.onChange((c) => {
        if (c.proxyId === proxy && c.source === 'trial') lost.add(i);
      });
    }
    await expect.poll(() => pools.filter((p) => p.getMetrics(proxy)!.circuitState === 'half-open').length, { timeout: 4_000 }).toBe(1);
    await expect.poll(() => lost.size, { timeout: 4_000 }).toBe(2);
    const winner = pools.find((p) => p.getMetrics(proxy)!.circuitState === 'half-open')!;
    expect(lost.has(pools.indexOf(winner))).toBe(false);
    for (const p of pools) if (p !== winner) expect(p.getMetrics(proxy)!.circuitState).toBe('open');
    // The trial succeeds twice: the breaker closes fleet-wide.
    const closed = workers
      .filter((_, i) => pools[i] !== winner)
      .map(({ store }) => changeOn(store, (c) => c.proxyId === proxy && c.what === 'breaker' && c.source === 'remote', 8_000));
    for (let i = 0; i < 2; i++) {
      const lease = winner.tryAcquire({ exclude: PROXIES.filter((_, j) => j !== 0).map((_, j) => idOf(winner, j + 1)) });
      expect(lease?.proxy.id).toBe(proxy);
      lease!.success({ latencyMs: 10 });
    }
    await Promise.all(closed);
    for (const p of pools) expect(p.getMetrics(proxy)!.circuitState).toBe('closed');
  });

  // (The same script through either client: once is enough.)
  it.runIf(kind === 'node-redis')('keeps the trial with its worker while the trial outlasts the token', async () => {
    const options = { trialLeadMs: 100, trialTtlMs: 600 };
    const workers = await Promise.all([1, 2].map(() => worker('slow-trial', options, { breaker: { openMs: 400, jitter: 0 } })));
    const [first, second] = workers.map((w) => w.pool) as [ProxyPool, ProxyPool];
    const proxy = idOf(first, 0);
    const heard = changeOn(workers[1]!.store, (c) => c.proxyId === proxy && c.source === 'remote');
    openBreaker(first, proxy);
    await heard;
    await expect
      .poll(() => [first, second].filter((p) => p.getMetrics(proxy)!.circuitState === 'half-open').length, { timeout: 3_000 })
      .toBe(1);
    const winner = first.getMetrics(proxy)!.circuitState === 'half-open' ? first : second;
    const loser = winner === first ? second : first;
    // Three times the token's life (800 ms with the lead) in half-open: the other worker never starts a trial of its own.
    const until = Date.now() + 2_400;
    while (Date.now() < until) {
      expect(loser.getMetrics(proxy)!.circuitState).toBe('open');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(winner.getMetrics(proxy)!.circuitState).toBe('half-open');
  });

  it('does not hang on a Redis that stops answering: calls time out, the pool goes on, the change is written when it answers again', async () => {
    const a = await worker('hang');
    const b = await worker('hang');
    const p0 = idOf(a.pool, 0);
    server.pause();
    try {
      const started = performance.now();
      openBreaker(a.pool, p0);
      for (let i = 0; i < 20; i++) (await a.pool.acquire({ target: TARGET, maxWaitMs: 500 })).success({ latencyMs: 5 });
      expect(performance.now() - started).toBeLessThan(500);
      // commandTimeoutMs is 300 here.
      await expect.poll(() => a.store.degraded, { timeout: 2_000 }).toBe(true);
    } finally {
      server.resume();
    }
    // The timed-out write is written again by the next resync (or lands late): B hears of it.
    await expect.poll(() => b.pool.getMetrics(p0)!.circuitState, { timeout: 8_000 }).toBe('open');
  });

  it('keeps working on local health while Redis is killed, and catches up when it is back', async () => {
    const a = await worker('outage');
    const b = await worker('outage');
    const [p0, p1] = [idOf(a.pool, 0), idOf(a.pool, 1)];
    await server.kill();
    // Calls neither hang nor throw; local health still works.
    const started = performance.now();
    openBreaker(a.pool, p0);
    expect(a.pool.getMetrics(p0)!.circuitState).toBe('open');
    for (let i = 0; i < 50; i++) {
      const lease = await a.pool.acquire({ target: TARGET, maxWaitMs: 1_000 });
      expect(lease.proxy.id).not.toBe(p0);
      lease.success({ latencyMs: 5 });
    }
    ban(a.pool, p1, idOf(a.pool, 2));
    expect(performance.now() - started).toBeLessThan(1_000);
    await expect.poll(() => a.store.degraded, { timeout: 3_000 }).toBe(true);
    expect(b.pool.getMetrics(p0)!.circuitState).toBe('closed');

    // Redis comes back empty on the same port: A writes what it learned meanwhile, B hears it.
    const caughtUp = Promise.all([
      changeOn(b.store, (c) => c.proxyId === p0 && c.what === 'breaker', 10_000),
      changeOn(b.store, (c) => c.proxyId === p1 && c.what === 'bans', 10_000),
    ]);
    await server.restart();
    await caughtUp;
    expect(b.pool.getMetrics(p0)!.circuitState).toBe('open');
    expect(b.pool.getMetrics(p1)!.bannedOn).toEqual(['shop.example']);
    await expect.poll(() => a.store.degraded, { timeout: 3_000 }).toBe(false);
  });

  it.runIf(kind === 'node-redis')('writes what it knew again when Redis comes back empty, for workers that join after', async () => {
    const a = await worker('amnesia');
    const b = await worker('amnesia');
    const [p0, p1] = [idOf(a.pool, 0), idOf(a.pool, 1)];
    // Written and heard before Redis goes: nothing left to replay.
    const heard = Promise.all([
      changeOn(b.store, (c) => c.proxyId === p0 && c.what === 'breaker'),
      changeOn(b.store, (c) => c.proxyId === p1 && c.what === 'bans'),
    ]);
    openBreaker(a.pool, p0);
    ban(a.pool, p1, idOf(a.pool, 2));
    await heard;
    await server.kill();
    await server.restart();
    const late = await worker('amnesia');
    await expect.poll(() => late.pool.getMetrics(p0)!.circuitState, { timeout: 8_000 }).toBe('open');
    await expect.poll(() => late.pool.getMetrics(p1)!.bannedOn, { timeout: 3_000 }).toEqual(['shop.example']);
  });
});
