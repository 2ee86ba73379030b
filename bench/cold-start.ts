/**
 * Cold start: how a fresh pool does on its first pages, before any success has shown which
 * failures were the proxies' and which the site's. 200 fresh pools, 10 pages each, the loop
 * of examples/existing-crawler (`toGetNextProxy`, at most 4 attempts a page) over the same bad
 * farm (3 good proxies, one refusing, one resetting, one answering 502), each attempt a real
 * request through the real local proxy, classified as a crawl's would be (core's probe).
 * Prints pages lost and attempts a page. `COLD_POOLS=50` for a quicker run.
 */
import { ProxyFarm } from '@proxy-pool/e2e/farm';
import { ProxyPool, parseProxy, toGetNextProxy } from '@proxy-pool/core';
import { probe } from '../packages/core/src/healthcheck/probe.js';

const POOLS = Number(process.env.COLD_POOLS ?? 200);
const PAGES = 10;
const MAX_ATTEMPTS = 4;

const farm = await ProxyFarm.start({
  proxies: [{ mode: 'good' }, { mode: 'refuse' }, { mode: 'good' }, { mode: 'reset' }, { mode: 'good' }, { mode: 'error502' }],
});
try {
  let lost = 0;
  let attempts = 0;
  let firstPageAttempts = 0;
  const started = performance.now();
  for (let p = 0; p < POOLS; p++) {
    await using pool = new ProxyPool({ proxies: farm.urls, breaker: { failureThreshold: 2 } });
    const manager = toGetNextProxy(pool);
    for (let page = 0; page < PAGES; page++) {
      let fetched = false;
      const url = farm.site.url(`/page/${page}`, 'crawl.test');
      for (let attempt = 1; attempt <= MAX_ATTEMPTS && !fetched; attempt++) {
        const form = manager.getNextProxy({ target: url });
        if (!form) break;
        attempts++;
        if (page === 0) firstPageAttempts++;
        const outcome = await probe(parseProxy(form), { url, timeoutMs: 2_000, expectStatus: (s) => s >= 200 && s < 400 });
        if (outcome.ok) {
          manager.reportSuccess(form, { latencyMs: outcome.latencyMs });
          fetched = true;
        } else {
          manager.reportFailure(form, { kind: outcome.kind, status: outcome.status, latencyMs: outcome.latencyMs });
        }
      }
      if (!fetched) lost++;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `cold start: ${POOLS} fresh pools × ${PAGES} pages, ≤ ${MAX_ATTEMPTS} attempts a page: ` +
      `${lost} pages lost, ${(attempts / (POOLS * PAGES)).toFixed(3)} attempts a page, ` +
      `${(firstPageAttempts / POOLS).toFixed(3)} on the first page (${seconds.toFixed(1)} s)`,
  );
} finally {
  await farm.close();
}
