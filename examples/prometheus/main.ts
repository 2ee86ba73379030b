/**
 * The pool's health in Prometheus: `registerPoolMetrics` puts its series on a prom-client
 * registry, and node:http serves them on /metrics for Prometheus to scrape (Grafana: import
 * packages/prometheus/grafana/proxy-pool.json). Probes a small local farm, scrapes itself once
 * and prints what it found; with SERVE=1 it keeps serving (probing every 5 s) until Ctrl-C.
 */
import { ProxyPool } from '@proxy-pool/core';
import { ProxyFarm } from '@proxy-pool/e2e/farm';
import { registerPoolMetrics } from '@proxy-pool/prometheus';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { serveMetrics } from './metrics-server.js';

const farm = await ProxyFarm.start({
  proxies: [
    { name: 'good', mode: 'good' },
    { name: 'slow', mode: 'slow', delayMs: 300 },
    { name: 'dead', mode: 'refuse' },
    { name: 'hanging', mode: 'hang' },
    {
      name: 'wrong-password',
      mode: 'good',
      credentials: { username: 'u', password: 'right' },
      listedCredentials: { username: 'u', password: 'wrong' },
    },
  ],
});
const pool = new ProxyPool({
  proxies: farm.urls,
  breaker: { failureThreshold: 1 },
  healthCheck: { url: farm.site.url('/page/1', 'health.test'), intervalMs: 5_000, timeoutMs: 2_000, concurrency: 5, runOnStart: false },
});

const registry = new Registry();
collectDefaultMetrics({ register: registry }); // the process's own series, beside the pool's
const metrics = registerPoolMetrics(pool, { registry, perProxy: { max: 100 } });
const server = await serveMetrics(registry, { port: Number(process.env.PORT ?? 0) });

await pool.checkHealth();
for (let i = 0; i < 5; i++) {
  const lease = await pool.acquire({ target: 'https://shop.test/' });
  lease.success({ latencyMs: 80 + i * 40 });
}
console.log(`metrics at ${server.url}`);

const stop = async () => {
  metrics.unregister();
  await server.close();
  await pool.close();
  await farm.close();
};
if (process.env.SERVE === '1') {
  const timer = setInterval(() => void pool.checkHealth().catch(() => undefined), 5_000);
  process.once('SIGINT', () => void stop().then(() => clearInterval(timer)));
  process.once('SIGTERM', () => void stop().then(() => clearInterval(timer)));
} else {
  const text = await (await fetch(server.url)).text();
  for (const line of text.split('\n'))
    if (/^proxy_pool_(outcomes_total|proxies|bans|targets_down|latency_seconds_count)\b/.test(line)) console.log(line);
  await stop();
}
