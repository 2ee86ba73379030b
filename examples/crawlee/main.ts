/**
 * Crawlee with proxy-pool: the crawler is Crawlee's own; its proxies come from the pool, and
 * every navigation's outcome goes back to it, through five options. (Crawlee calls
 * `errorHandler` only for attempts it will retry, and `failedRequestHandler` for a request's
 * last: wire both, or the last attempt of a request that fails everywhere goes unreported.)
 */
import { Configuration, PlaywrightCrawler } from '@crawlee/playwright';
import { ProxyPool } from '@proxy-pool/core';
import { crawleeBridge } from '@proxy-pool/crawlee';
import { ProxyFarm } from '@proxy-pool/e2e/farm';
import { chromium } from 'playwright';
import { CHROMIUM_ARGS, chromiumPath } from '../../e2e/src/chromium.js';

const farm = await ProxyFarm.start({
  proxies: [{ mode: 'good' }, { mode: 'refuse' }, { mode: 'good' }, { mode: 'reset' }, { mode: 'good' }],
});
const pool = new ProxyPool({ proxies: farm.urls });
const bridge = crawleeBridge(pool);
const titles: string[] = [];

const crawler = new PlaywrightCrawler(
  {
    proxyConfiguration: bridge.proxyConfiguration,
    preNavigationHooks: [bridge.preNavigationHook],
    postNavigationHooks: [bridge.postNavigationHook],
    errorHandler: bridge.errorHandler,
    failedRequestHandler: bridge.failedRequestHandler,
    launchContext: { launcher: chromium, launchOptions: { executablePath: chromiumPath(), args: CHROMIUM_ARGS }, useIncognitoPages: true },
    browserPoolOptions: { useFingerprints: false },
    maxConcurrency: 3,
    maxRequestRetries: 5,
    navigationTimeoutSecs: 5,
    requestHandler: async ({ page }) => {
      titles.push(await page.title());
    },
  },
  new Configuration({ persistStorage: false, logLevel: 1 } as never),
);
await crawler.run(Array.from({ length: 12 }, (_, i) => farm.site.url(`/page/${i}`, 'crawlee.test')));
await crawler.teardown();

console.log(`fetched ${titles.length} pages`);
for (const m of pool.snapshot().proxies) {
  console.log(`${m.proxy.padEnd(24)} ${m.circuitState.padEnd(9)} ok ${m.successfulRequests} failed ${m.failedRequests}`);
}
await pool.close();
await farm.close();
