/**
 * One worker of the fleet: its own process, its own Chromium, its own pool, and a
 * RedisHealthStore that shares what it learns with every worker of the namespace.
 *
 *   REDIS_URL=redis://… PROXIES=a,b,c URLS=u1,u2 WORKER=1 node --conditions=source --import tsx worker.ts
 *
 * Prints JSON lines: `{ worker, ready }` once it can crawl, `{ worker, page, ok }` per page, and
 * at the end `{ worker, done, fetched, failed, opened, learned }` (the breakers it opened itself,
 * and the ones it learned from the fleet before it ever tried them). Exits when its pages are
 * done, or when its parent goes (stdin closes).
 */
import { ProxyPool } from '@proxy-pool/core';
import { withProxyPool } from '@proxy-pool/playwright';
import { RedisHealthStore } from '@proxy-pool/redis';
import { chromium } from 'playwright-core';
import { createClient } from 'redis';
import { CHROMIUM_ARGS, chromiumPath } from '../../e2e/src/chromium.js';

const worker = process.env.WORKER ?? String(process.pid);
const say = (message: object) => process.stdout.write(`${JSON.stringify({ worker, ...message })}\n`);
// The parent went away: so does this worker (never an orphaned Chromium).
process.stdin.on('end', () => process.exit(1));
process.stdin.resume();

const redis = createClient({ url: process.env.REDIS_URL, disableOfflineQueue: true });
redis.on('error', () => {}); // the store logs Redis faults itself, once per outage
await redis.connect();
const healthStore = new RedisHealthStore({
  client: redis,
  namespace: process.env.NAMESPACE ?? 'fleet-example',
  workerId: `worker-${worker}`,
});
const pool = new ProxyPool({
  proxies: (process.env.PROXIES ?? '').split(','),
  healthStore,
  // One refused connection is proof enough here (the local farm's refusing proxies never come
  // back); the default, 3, needs more pages than the example crawls to open a breaker.
  breaker: { failureThreshold: 1 },
});

const opened = new Set<string>();
const learned = new Set<string>();
pool.on('breakerOpen', ({ proxy }) => opened.add(proxy.id)); // the pool's own openings
healthStore.onChange(({ proxyId, what, source }) => {
  // An opening heard from the fleet, for a proxy this worker has not opened itself.
  if (what === 'breaker' && (source === 'remote' || source === 'resync') && pool.getMetrics(proxyId)?.circuitState === 'open') {
    if (!opened.has(proxyId)) learned.add(proxyId);
  }
});
await healthStore.ready;

const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
const pooled = withProxyPool(browser, pool, { navigationTimeoutMs: 5_000 });
say({ ready: true });
let fetched = 0;
let failed = 0;
try {
  for (const url of (process.env.URLS ?? '').split(',').filter(Boolean)) {
    try {
      const title = await pooled.run(
        async ({ page }) => {
          await page.goto(url);
          return page.title();
        },
        { target: url, retries: 4 },
      );
      fetched++;
      say({ page: url, ok: true, title });
    } catch (error) {
      failed++;
      say({ page: url, ok: false, error: (error as Error).message });
    }
  }
} finally {
  await pooled.close();
  await browser.close();
  await pool.close();
  await healthStore.close();
  redis.destroy();
}
say({ done: true, fetched, failed, opened: [...opened], learned: [...learned] });
process.exit(0);
