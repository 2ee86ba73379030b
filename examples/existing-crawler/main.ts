/**
 * An existing crawler, before and after. Both loops are the same code: ask a proxy manager
 * for `getNextProxy()`, open a context with it, fetch the page, move on; retry on failure.
 * Before, the manager is a hand-rolled round-robin. After, it is `toGetNextProxy(pool)`,
 * and the loop gains two lines that tell the pool how each page went.
 */
import { type FailureReport, ProxyPool, type ServerForm, toGetNextProxy } from '@proxy-pool/core';
import { classify } from '@proxy-pool/playwright';
import { ProxyFarm } from '@proxy-pool/e2e/farm';
import { chromium } from 'playwright-core';
import { chromiumPath } from '../../e2e/src/chromium.js';

interface ProxyManager {
  getNextProxy(): ServerForm | null;
  reportSuccess?(proxy: ServerForm): void;
  reportFailure?(proxy: ServerForm, failure: FailureReport): void;
}

/** Before: the kind of rotation people write by hand. */
class RoundRobinManager implements ProxyManager {
  #i = 0;
  constructor(readonly proxies: string[]) {}
  getNextProxy(): ServerForm {
    const url = new URL(this.proxies[this.#i++ % this.proxies.length]!);
    return { server: `${url.protocol}//${url.host}` };
  }
}

// Four attempts a page. Before its first success a fresh pool cannot tell a proxy's fault from
// the site's (a reset or a 502 waits for another proxy's success to be charged), so it picks such
// a proxy, and one that failed and never worked, only after the proxies it has not tried yet:
// `pnpm --filter @proxy-pool/bench cold-start` loses no page of 2,000 with four attempts (it lost
// 14–17 before that rule; this example needed ten attempts then).
const MAX_ATTEMPTS = 4;

async function crawl(manager: ProxyManager, urls: string[]): Promise<{ pages: number; attempts: number }> {
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
  let attempts = 0;
  let pages = 0;
  for (const url of urls) {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const proxy = manager.getNextProxy();
      if (!proxy) break;
      attempts++;
      const context = await browser.newContext({ proxy });
      try {
        const page = await context.newPage();
        const response = await page.goto(url, { timeout: 3_000 });
        const failure = response ? classify(response) : undefined; // ← after: what went wrong, as a kind
        if (failure) throw Object.assign(new Error(`HTTP ${response?.status()}`), { failure });
        manager.reportSuccess?.(proxy); // ← after: one line
        pages++;
        break;
      } catch (error) {
        const failure = (error as { failure?: FailureReport }).failure ?? classify(error) ?? { kind: 'unknown' };
        manager.reportFailure?.(proxy, failure); // ← after: one line
      } finally {
        await context.close();
      }
    }
  }
  await browser.close();
  return { pages, attempts };
}

const farm = await ProxyFarm.start({
  proxies: [{ mode: 'good' }, { mode: 'refuse' }, { mode: 'good' }, { mode: 'reset' }, { mode: 'good' }, { mode: 'error502' }],
});
const urls = Array.from({ length: 16 }, (_, i) => farm.site.url(`/page/${i}`, 'crawl.test'));
try {
  const before = await crawl(new RoundRobinManager(farm.urls), urls);
  console.log(`before (round-robin):  ${before.pages} pages in ${before.attempts} attempts`);
  await using pool = new ProxyPool({ proxies: farm.urls, breaker: { failureThreshold: 2 } });
  const after = await crawl(toGetNextProxy(pool), urls);
  console.log(`after (proxy-pool):    ${after.pages} pages in ${after.attempts} attempts`);
  // Dead proxies have an open breaker; flaky ones a low score, so they get little traffic.
  const avoided = pool.snapshot().proxies.filter((m) => m.circuitState === 'open' || m.healthScore < 0.4).length;
  console.log(`proxies the pool avoids now: ${avoided}`);
} finally {
  await farm.close();
}
