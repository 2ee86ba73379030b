import { ProxyConfiguration } from '@crawlee/playwright';
import { ProxyPool } from '@proxy-pool/core';
import { crawleeBridge } from '@proxy-pool/crawlee';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crawlWithCrawlee } from '../src/crawlee-crawl.js';
import { ProxyFarm } from '../src/farm/index.js';

// Real Crawlee (PlaywrightCrawler), real Chromium, the local farm: Crawlee's own round-robin
// beside the pool through the bridge, on the same list.
describe('Crawlee bridge', () => {
  let farm: ProxyFarm;
  const PAGES = 40;
  beforeAll(async () => {
    farm = await ProxyFarm.start({
      proxies: [
        { name: 'good-1', mode: 'good' },
        { name: 'dead-1', mode: 'refuse' },
        { name: 'good-2', mode: 'good' },
        { name: 'reset', mode: 'reset' },
        { name: 'good-3', mode: 'good' },
        { name: 'dead-2', mode: 'refuse' },
        { name: 'good-4', mode: 'good' },
        { name: 'error502', mode: 'error502' },
      ],
    });
  });
  afterAll(() => farm?.close());

  it('stops using dead proxies, and needs fewer attempts than Crawlee’s round-robin', async () => {
    const urls = (tag: string) => Array.from({ length: PAGES }, (_, i) => farm.site.url(`/page/${i}?${tag}`, 'crawlee.test'));
    const options = { concurrency: 4, navigationTimeoutSecs: 5 };

    const roundRobin = await crawlWithCrawlee(
      urls('rr'),
      { proxyConfiguration: new ProxyConfiguration({ proxyUrls: farm.urls }) },
      options,
    );

    const pool = new ProxyPool({ proxies: farm.urls });
    const bridge = crawleeBridge(pool);
    const pooled = await crawlWithCrawlee(
      urls('pool'),
      {
        proxyConfiguration: bridge.proxyConfiguration,
        preNavigationHooks: [bridge.preNavigationHook as never],
        postNavigationHooks: [bridge.postNavigationHook as never],
        errorHandler: bridge.errorHandler as never,
      },
      options,
    );

    const line = (name: string, r: typeof pooled) =>
      `${name}: ${r.fetched}/${PAGES} pages, ${(r.fetched / r.seconds).toFixed(2)} pages/s, ${(r.attempts / Math.max(1, r.fetched)).toFixed(2)} attempts/page`;
    console.log(`${line("Crawlee's round-robin", roundRobin)}\n${line('proxy-pool bridge   ', pooled)}`);

    expect(pooled.fetched).toBe(PAGES);
    const dead = farm.proxies.filter((p) => p.name.startsWith('dead')).map((p) => p.id);
    // A dead proxy is tried at most failureThreshold times: then its breaker is open and it is not handed out again.
    for (const id of dead) {
      const m = pool.getMetrics(id)!;
      expect(m.failedRequests).toBeLessThanOrEqual(pool.options.breaker.failureThreshold);
      if (m.failedRequests === pool.options.breaker.failureThreshold) expect(m.circuitState).toBe('open');
    }
    expect(pooled.attempts).toBeLessThan(roundRobin.attempts);
    await pool.close();
  });
});
