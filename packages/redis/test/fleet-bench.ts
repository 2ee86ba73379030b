/**
 * Measurements of the Redis store (not a test: run it by hand, it starts its own redis-server):
 *   pnpm --filter @proxy-pool/redis bench          (FLEET_ROUNDS=12 FLEET_CYCLES=500000 to change the rounds)
 * - pick-and-report cycles/s with the store attached vs. in memory, in one process, in
 *   interleaved rounds (the order alternates), with the store's resyncs (every second here,
 *   five times as often as by default) running between chunks;
 * - how long a resync holds the event loop (the pick path waits that long at worst) at 1,000 and
 *   100,000 proxies that all changed;
 * - Redis round trips per pick and per state change;
 * - propagation of a breaker opening from one pool to another (p50/p99);
 * - recovery after a Redis restart: from "Ready to accept connections" to the other worker
 *   hearing the first change made after it.
 */
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setImmediate as tick } from 'node:timers/promises';
import { ProxyPool } from '@proxy-pool/core';
import { createClient } from 'redis';
import { RedisHealthStore } from '../src/index.js';
import { RedisServer } from './redis-server.js';

const proxyList = (n: number, prefix = 10) =>
  Array.from({ length: n }, (_, i) => `http://${prefix}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:8080`);
const PROXIES = proxyList(1_000);
const ROUNDS = Number(process.env.FLEET_ROUNDS ?? 12);
const CYCLES = Number(process.env.FLEET_CYCLES ?? 500_000);
const CHUNK = 10_000;
const TARGET = 'https://shop.example/';

const server = await RedisServer.start();
const clients: Array<{ destroy(): void }> = [];
async function client() {
  const c = createClient({ url: server.url, disableOfflineQueue: true });
  c.on('error', () => {});
  await c.connect();
  clients.push(c);
  return c;
}
const load = () => loadavg().map((l) => +l.toFixed(1));
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
const until = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `cycles` picks and reports, in chunks with a turn of the event loop between (the store's timers run there). */
async function cycles(pool: ProxyPool, n: number): Promise<number> {
  const start = performance.now();
  for (let done = 0; done < n; done += CHUNK) {
    for (let i = 0; i < CHUNK; i++) pool.tryAcquire({ target: TARGET })!.success({ latencyMs: 20 });
    await tick();
  }
  return n / ((performance.now() - start) / 1000);
}

try {
  const results: Record<string, unknown> = { loadAverageAtStart: load() };

  // ── throughput, one process, interleaved ──
  console.error(`[fleet-bench] ${new Date().toISOString()} throughput, one process, interleaved`);
  const store = new RedisHealthStore({ client: await client(), namespace: 'bench-cycles', resyncMs: 1_000 });
  await store.ready;
  const pools = { memory: new ProxyPool({ proxies: PROXIES }), redis: new ProxyPool({ proxies: PROXIES, healthStore: store }) };
  await until(300); // the attach load
  for (const pool of Object.values(pools)) await cycles(pool, 50_000); // warm both alike
  const rates: Record<'memory' | 'redis', number[]> = { memory: [], redis: [] };
  const roundTripsBefore = store.roundTrips;
  const resyncsBefore = store.resyncs;
  for (let round = 0; round < ROUNDS; round++) {
    const order: Array<'memory' | 'redis'> = round % 2 === 0 ? ['memory', 'redis'] : ['redis', 'memory'];
    for (const mode of order) rates[mode].push(await cycles(pools[mode], CYCLES));
  }
  const resyncs = store.resyncs - resyncsBefore;
  results.cyclesPerSecond = {
    rounds: ROUNDS,
    cyclesPerRound: CYCLES,
    memory: rates.memory.map(Math.round),
    redis: rates.redis.map(Math.round),
    medianMemory: Math.round(median(rates.memory)),
    medianRedis: Math.round(median(rates.redis)),
    ratioOfMedians: +(median(rates.redis) / median(rates.memory)).toFixed(3),
    medianPairedRatio: +median(rates.redis.map((r, i) => r / rates.memory[i]!)).toFixed(3),
    resyncsMeanwhile: resyncs,
    roundTripsMeanwhile: store.roundTrips - roundTripsBefore,
  };
  await pools.memory.close();
  await pools.redis.close();
  await store.close();
  {
    // Round trips per pick, apart from resyncs: a store that does not resync during the loop.
    const quiet = new RedisHealthStore({ client: await client(), namespace: 'bench-quiet', resyncMs: 3_600_000 });
    const pool = new ProxyPool({ proxies: PROXIES, healthStore: quiet });
    await until(300);
    const before = quiet.roundTrips;
    for (let i = 0; i < 200_000; i++) pool.tryAcquire({ target: TARGET })!.success({ latencyMs: 20 });
    results.roundTripsPerPick = (quiet.roundTrips - before) / 200_000;
    await pool.close();
    await quiet.close();
  }

  // ── how long a resync holds the event loop, every proxy changed ──
  console.error(`[fleet-bench] ${new Date().toISOString()} how long a resync holds the event loop, every proxy changed`);
  results.resyncEventLoopDelayMs = {};
  for (const size of [1_000, 100_000]) {
    const list = proxyList(size, 11);
    const a = new RedisHealthStore({ client: await client(), namespace: `bench-resync-${size}`, resyncMs: 1_000 });
    const b = new RedisHealthStore({ client: await client(), namespace: `bench-resync-${size}`, resyncMs: 1_000 });
    await Promise.all([a.ready, b.ready]);
    const poolA = new ProxyPool({ proxies: list, healthStore: a });
    const poolB = new ProxyPool({ proxies: list, healthStore: b });
    // The attach loads first (they read every proxy once): what is measured is the resyncs after.
    for (let before = -1; before !== a.roundTrips + b.roundTrips; ) {
      before = a.roundTrips + b.roundTrips;
      await until(300);
    }
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    histogram.enable();
    const started = performance.now();
    const resyncsA = a.resyncs;
    // Three resyncs in which every proxy changed in both workers (each pushes all, reads the other's all).
    for (let r = 0; r < 3; r++) {
      for (let i = 0; i < list.length; i++) {
        poolA.report(list[i]!, { ok: true, latencyMs: 30 });
        poolB.report(list[i]!, { ok: true, latencyMs: 60 });
        if (i % 1_000 === 999) await tick(); // (the reports themselves must not be what holds the loop)
      }
      const target = a.resyncs + 1;
      while (a.resyncs < target) await until(20);
    }
    histogram.disable();
    (results.resyncEventLoopDelayMs as Record<string, unknown>)[size] = {
      p99: +(histogram.percentile(99) / 1e6).toFixed(1),
      max: +(histogram.max / 1e6).toFixed(1),
      resyncs: a.resyncs - resyncsA,
      seconds: +((performance.now() - started) / 1000).toFixed(1),
      latencyHereAfter: Math.round(poolA.getMetrics(list[0]!)!.avgResponseTime),
    };
    await poolA.close();
    await poolB.close();
    await Promise.all([a.close(), b.close()]);
  }

  // ── round trips per state change, and propagation A → B ──
  console.error(`[fleet-bench] ${new Date().toISOString()} round trips per state change, and propagation A → B`);
  const a = new RedisHealthStore({ client: await client(), namespace: 'prop' });
  const b = new RedisHealthStore({ client: await client(), namespace: 'prop' });
  await Promise.all([a.ready, b.ready]);
  const poolA = new ProxyPool({ proxies: PROXIES, healthStore: a });
  const poolB = new ProxyPool({ proxies: PROXIES, healthStore: b });
  await until(300);
  const samples: number[] = [];
  const perChange: number[] = [];
  for (const id of PROXIES.slice(0, 300)) {
    const heard = new Promise<number>((resolve) => {
      const off = b.onChange((change) => {
        if (change.proxyId !== id || change.what !== 'breaker') return;
        off();
        resolve(performance.now());
      });
    });
    const before = a.roundTrips;
    const start = performance.now();
    for (let i = 0; i < 3; i++) poolA.report(id, { ok: false, kind: 'proxy_unreachable' });
    samples.push((await heard) - start);
    perChange.push(a.roundTrips - before);
  }
  samples.sort((x, y) => x - y);
  const at = (q: number) => +samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!.toFixed(3);
  results.propagationMs = { p50: at(0.5), p99: at(0.99), max: at(1), samples: samples.length };
  // (A resync may fall inside one: the least is what an opening costs.)
  results.roundTripsPerBreakerOpening = { min: Math.min(...perChange), median: median(perChange) };

  // ── one half-open trial per proxy, fleet-wide: 5 workers, 200 openings ending together ──
  console.error(
    `[fleet-bench] ${new Date().toISOString()} one half-open trial per proxy, fleet-wide: 5 workers, 200 openings ending together`,
  );
  {
    const list = proxyList(200, 12);
    const racers = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const store = new RedisHealthStore({ client: await client(), namespace: 'bench-trials' });
        await store.ready;
        const pool = new ProxyPool({ proxies: list, healthStore: store, breaker: { openMs: 1_000, jitter: 0 } });
        const halfOpen = new Set<string>();
        pool.on('breakerHalfOpen', ({ proxy }) => halfOpen.add(proxy.id));
        return { store, pool, halfOpen };
      }),
    );
    await until(300);
    const heard = racers.slice(1).map(
      ({ store }) =>
        new Promise<void>((resolve) => {
          let n = 0;
          store.onChange((c) => {
            if (c.what === 'breaker' && (c.source === 'remote' || c.source === 'resync') && ++n === list.length) resolve();
          });
        }),
    );
    for (const id of list) for (let i = 0; i < 3; i++) racers[0]!.pool.report(id, { ok: false, kind: 'proxy_unreachable' });
    await Promise.all(heard);
    // Every worker asks for leases through the end of the openings and well after: a trial it wins half-opens its breaker.
    const end = performance.now() + 3_000;
    while (performance.now() < end) {
      for (const { pool } of racers) {
        // Hold what it gets (a released trial would be handed out again), then let it all go.
        const leases = [];
        while (leases.length < list.length) {
          const lease = pool.tryAcquire();
          if (!lease) break;
          leases.push(lease);
        }
        for (const lease of leases) lease.release();
      }
      await until(20);
    }
    const trialsPerProxy = list.map((id) => racers.filter((r) => r.halfOpen.has(id)).length);
    results.halfOpenTrials = {
      workers: racers.length,
      proxies: list.length,
      trials: trialsPerProxy.reduce((a, b) => a + b, 0),
      duplicates: trialsPerProxy.reduce((a, b) => a + Math.max(0, b - 1), 0),
      proxiesNeverTrialled: trialsPerProxy.filter((n) => n === 0).length,
    };
    for (const { pool, store } of racers) {
      await pool.close();
      await store.close();
    }
  }

  // ── recovery after a Redis restart (default node-redis reconnect strategy) ──
  console.error(`[fleet-bench] ${new Date().toISOString()} recovery after a Redis restart (default node-redis reconnect strategy)`);
  const recoveries: number[] = [];
  const fresh = PROXIES.slice(300);
  for (let r = 0; r < 3; r++) {
    await server.kill();
    await until(500);
    await server.restart();
    const readyAt = performance.now();
    const id = fresh[r]!;
    const heard = new Promise<number>((resolve) => {
      const off = b.onChange((change) => {
        if (change.proxyId !== id || change.what !== 'breaker') return;
        off();
        resolve(performance.now());
      });
    });
    // The first change after the restart: made at once, before A's client is back (it is written when it is).
    for (let i = 0; i < 3; i++) poolA.report(id, { ok: false, kind: 'proxy_unreachable' });
    recoveries.push(+((await heard) - readyAt).toFixed(0));
  }
  results.restartRecoveryMs = recoveries;
  await poolA.close();
  await poolB.close();
  await Promise.all([a.close(), b.close()]);
  results.loadAverageAtEnd = load();
  console.log(JSON.stringify(results, null, 2));
} finally {
  for (const c of clients) c.destroy();
  await server.stop();
}
