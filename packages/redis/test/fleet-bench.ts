/**
 * Measurements of the Redis store (not a test: run it by hand, it starts its own redis-server):
 *   cd packages/redis && node --conditions=source --import tsx test/fleet-bench.ts
 * - pick-and-report cycles/s with the store attached vs. in memory (the store must not slow picks),
 * - Redis round trips per pick and per state change,
 * - propagation of a breaker opening from one pool to another (p50/p99).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ProxyPool } from '@proxy-pool/core';
import { createClient } from 'redis';
import { RedisHealthStore } from '../src/index.js';
import { RedisServer } from './redis-server.js';

const PROXIES = Array.from({ length: 1_000 }, (_, i) => `http://10.0.${i >> 8}.${i & 255}:8080`);
const CYCLES = 300_000;

if (process.argv[2] === 'cycles') {
  const mode = process.argv[3];
  const c = createClient({ url: process.argv[4], disableOfflineQueue: true });
  c.on('error', () => {});
  await c.connect();
  const store = mode === 'redis' ? new RedisHealthStore({ client: c, namespace: `bench-${process.pid}` }) : undefined;
  await store?.ready;
  const pool = new ProxyPool({ proxies: PROXIES, healthStore: store });
  await new Promise((resolve) => setTimeout(resolve, 200)); // the attach load
  const before = store?.roundTrips ?? 0;
  const rate = cycles(pool);
  if ((store?.roundTrips ?? 0) !== before) throw new Error('a pick went to Redis');
  await pool.close();
  await store?.close();
  c.destroy();
  console.log(rate);
  process.exit(0);
}

const server = await RedisServer.start();
const clients: Array<{ destroy(): void }> = [];
async function client() {
  const c = createClient({ url: server.url, disableOfflineQueue: true });
  c.on('error', () => {});
  await c.connect();
  clients.push(c);
  return c;
}

function cycles(pool: ProxyPool): number {
  const target = 'https://shop.example/';
  for (let i = 0; i < 20_000; i++) pool.tryAcquire({ target })!.success({ latencyMs: 20 });
  const start = performance.now();
  for (let i = 0; i < CYCLES; i++) pool.tryAcquire({ target })!.success({ latencyMs: 20 });
  return CYCLES / ((performance.now() - start) / 1000);
}

/** One measurement in a fresh process (in one process the second pool runs on code the JIT shaped for the first). */
function measureIn(mode: 'memory' | 'redis'): number {
  const out = execFileSync(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', fileURLToPath(import.meta.url), 'cycles', mode, server.url],
    {
      encoding: 'utf8',
    },
  );
  return Number(out.trim().split('\n').at(-1));
}

try {
  const results: Record<string, unknown> = {};
  // Alternate the two and their order, four processes each: the machine is shared and its load moves.
  const memory: number[] = [];
  const redis: number[] = [];
  for (let round = 0; round < 4; round++) {
    const order: Array<'memory' | 'redis'> = round % 2 === 0 ? ['memory', 'redis'] : ['redis', 'memory'];
    for (const mode of order) (mode === 'memory' ? memory : redis).push(measureIn(mode));
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
  results.cyclesPerSecond = { memory: memory.map(Math.round), redis: redis.map(Math.round) };
  results.medianRatio = +(median(redis) / median(memory)).toFixed(3);

  // Round trips per state change, and propagation A → B.
  const a = new RedisHealthStore({ client: await client(), namespace: 'prop' });
  const b = new RedisHealthStore({ client: await client(), namespace: 'prop' });
  await Promise.all([a.ready, b.ready]);
  const poolA = new ProxyPool({ proxies: PROXIES, healthStore: a });
  const poolB = new ProxyPool({ proxies: PROXIES, healthStore: b });
  await new Promise((resolve) => setTimeout(resolve, 300));
  const samples: number[] = [];
  const perChange: number[] = [];
  for (const id of PROXIES.slice(0, 300)) {
    const heard = new Promise<number>((resolve) => {
      const off = b.onChange((change) => {
        if (change.proxyId !== id) return;
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
  results.roundTripsPerBreakerOpening = { min: Math.min(...perChange), max: Math.max(...perChange) };
  await poolA.close();
  await poolB.close();
  await Promise.all([a.close(), b.close()]);
  console.log(JSON.stringify(results, null, 2));
} finally {
  for (const c of clients) c.destroy();
  await server.stop();
}
