/**
 * Active health checks: every proxy is probed through a real request, open breakers
 * included, so a proxy that comes back is used again without a real job having to risk it.
 */
import { ProxyPool } from '@proxy-pool/core';
import { ProxyFarm } from '@proxy-pool/e2e/farm';

const farm = await ProxyFarm.start({
  proxies: [
    { name: 'good', mode: 'good' },
    { name: 'dead', mode: 'refuse' },
    { name: 'hanging', mode: 'hang' },
    {
      name: 'wrong-password',
      mode: 'good',
      credentials: { username: 'u', password: 'right' },
      listedCredentials: { username: 'u', password: 'wrong' },
    },
    { name: 'back-in-2s', mode: 'good', recoverAfterMs: 2_000 },
  ],
});
const name = (id: string) => farm.proxies.find((p) => p.id === id)?.name ?? id;
const pool = new ProxyPool({
  proxies: farm.urls,
  breaker: { failureThreshold: 1 },
  healthCheck: { url: farm.site.url('/page/1', 'health.test'), intervalMs: 300_000, timeoutMs: 1_000, concurrency: 5 },
});

for (const round of [1, 2]) {
  const results = await pool.checkHealth();
  console.log(`round ${round}:`);
  for (const { proxy, outcome } of results.sort((a, b) => name(a.proxy.id).localeCompare(name(b.proxy.id)))) {
    const state = pool.getMetrics(proxy)!.circuitState;
    console.log(`  ${name(proxy.id).padEnd(15)} ${outcome.ok ? `ok in ${outcome.latencyMs} ms` : outcome.kind}  → breaker ${state}`);
  }
  if (round === 1) await new Promise((r) => setTimeout(r, 2_200));
}
await pool.close();
await farm.close();
