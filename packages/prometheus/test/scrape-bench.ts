/**
 * What a scrape costs at 100,000 proxies (the numbers in the README): `registry.metrics()` with
 * per-proxy series off, capped at 1,000, and through the public snapshot() for comparison; and
 * what the event listeners add to a pick-and-report.
 *
 *   cd packages/prometheus && node --conditions=source --import tsx test/scrape-bench.ts [proxies=100000]
 */
import { ProxyPool } from '@proxy-pool/core';
import { Registry } from 'prom-client';
import { registerPoolMetrics } from '../src/index.js';

const n = Number(process.argv[2] ?? 100_000);
const proxies = Array.from({ length: n }, (_, i) => `http://u${i}:p@10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:8080`);

function work(pool: ProxyPool, count: number): number {
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const proxy = pool.getProxy({ target: 'https://shop.test/' });
    if (!proxy) continue;
    const outcome = i % 10 === 0 ? { ok: false as const, kind: 'timeout' as const } : { ok: true as const, latencyMs: 100 + (i % 400) };
    pool.report(proxy, outcome, { target: 'https://shop.test/' });
  }
  return (count / (performance.now() - started)) * 1000;
}

async function median(runs: number, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await fn();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

const pool = new ProxyPool({ proxies, rotation: 'round-robin' });
work(pool, 200_000); // warm-up
// Some history: open breakers, bans.
for (let i = 0; i < n; i += 97) pool.report(pool.proxies[i]!, { ok: false, kind: 'proxy_unreachable' });
for (let i = 0; i < n; i += 89) pool.report(pool.proxies[i]!, { ok: false, kind: 'rate_limited' }, { target: 'https://shop.test/' });

const lines: string[] = [];
for (const [label, options] of [
  ['perProxy off', {}],
  ['perProxy { max: 1000 }', { perProxy: { max: 1_000 } }],
] as const) {
  const registry = new Registry();
  const metrics = registerPoolMetrics(pool, { registry, ...options });
  const ms = await median(21, () => registry.metrics());
  const size = (await registry.metrics()).length;
  lines.push(`${label.padEnd(24)} ${ms.toFixed(1).padStart(6)} ms a scrape, ${(size / 1024).toFixed(0)} KiB`);
  metrics.unregister();
}
const publicOnly = {
  options: pool.options,
  snapshot: () => pool.snapshot(),
  on: pool.on.bind(pool),
  isTargetDown: pool.isTargetDown.bind(pool),
} as unknown as ProxyPool;
const registry = new Registry();
const viaSnapshot = registerPoolMetrics(publicOnly, { registry });
lines.push(`${'through snapshot()'.padEnd(24)} ${(await median(11, () => registry.metrics())).toFixed(1).padStart(6)} ms a scrape`);
viaSnapshot.unregister();

// Turns with and without the listeners, so that drift over the run hits both alike.
const rates: { without: number[]; with: number[] } = { without: [], with: [] };
for (let round = 0; round < 5; round++) {
  rates.without.push(work(pool, 200_000));
  const withMetrics = registerPoolMetrics(pool, { registry: new Registry() });
  rates.with.push(work(pool, 200_000));
  withMetrics.unregister();
}
const mid = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
lines.push(
  `pick-and-report (round-robin, 10% failures): ${Math.round(mid(rates.without) / 1000)}k/s without metrics, ${Math.round(mid(rates.with) / 1000)}k/s with (medians of 5)`,
);
console.log(`${n} proxies, Node ${process.version}\n${lines.join('\n')}`);
await pool.close();
