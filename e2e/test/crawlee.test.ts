import { ProxyConfiguration } from '@crawlee/playwright';
import { ProxyPool } from '@proxy-pool/core';
import { crawleeBridge } from '@proxy-pool/crawlee';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CrawleeAttempt, crawlWithCrawlee } from '../src/crawlee-crawl.js';
import { ProxyFarm } from '../src/farm/index.js';

// Real Crawlee (PlaywrightCrawler), real Chromium, the local farm: Crawlee's own round-robin
// beside the pool through the bridge, on the same list.
describe('Crawlee bridge', () => {
  let farm: ProxyFarm;
  const PAGES = 24;
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

  /** The bridge's hooks, as a crawler takes them. */
  const hooks = (bridge: ReturnType<typeof crawleeBridge>) => ({
    proxyConfiguration: bridge.proxyConfiguration,
    preNavigationHooks: [bridge.preNavigationHook as never],
    postNavigationHooks: [bridge.postNavigationHook as never],
    errorHandler: bridge.errorHandler as never,
    failedRequestHandler: bridge.failedRequestHandler as never,
  });

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
    const pooled = await crawlWithCrawlee(urls('pool'), hooks(bridge), options);

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
    // Every page's lease ended with its outcome.
    expect(bridge.pagesInFlight).toBe(0);
    expect(pool.snapshot().proxies.filter((m) => m.inFlight > 0)).toEqual([]);
    await pool.close();
  }, 180_000);

  it('works the same with PuppeteerCrawler', async () => {
    const pool = new ProxyPool({ proxies: farm.urls });
    const urls = Array.from({ length: 12 }, (_, i) => farm.site.url(`/page/${i}?pptr`, 'crawlee.test'));
    const run = await crawlWithCrawlee(urls, hooks(crawleeBridge(pool)), {
      concurrency: 4,
      navigationTimeoutSecs: 5,
      crawler: 'puppeteer',
    });
    expect(run.fetched).toBe(urls.length);
    // Every navigation went through a pool member; the dead ones failed their pre-flight checks, not pages.
    const dead = new Set(farm.proxies.filter((p) => p.name.startsWith('dead')).map((p) => p.url));
    expect(run.proxies.length).toBe(run.attempts);
    expect(run.proxies.filter((url) => dead.has(url))).toEqual([]);
    // The 502 proxy passes its check (an http target: any HTTP answer) until its breaker opens; a loaded machine may time a page out.
    expect(run.attempts).toBeLessThanOrEqual(urls.length + 6);
    await pool.close();
  });

  it('maxRequestRetries counts every attempt: a page no proxy can fetch is tried maxRequestRetries + 1 times in all', async () => {
    // A proxy that answers every request with its own 502 (each attempt fails as proxy_error), its breaker kept closed.
    const bad = farm.proxies.find((p) => p.name === 'error502')!;
    const pool = new ProxyPool({ proxies: [bad.url], breaker: { failureThreshold: 10 }, retry: { retries: 3 } });
    const run = await crawlWithCrawlee([farm.site.url('/page/0?retries', 'crawlee.test')], hooks(crawleeBridge(pool)), {
      concurrency: 1,
      navigationTimeoutSecs: 5,
      maxRequestRetries: 2,
    });
    expect(run.fetched).toBe(0);
    expect(run.failed).toBe(1);
    // 3 navigations, not 3 × (the pool's retries + 1): the bridge hands out proxies, Crawlee retries.
    expect(run.attempts).toBe(3);
    // Each on its own lease, ended with its failure (the last by failedRequestHandler), read from the proxy's own 502.
    expect(pool.getMetrics(bad.url)).toMatchObject({ inFlight: 0, failuresByKind: { proxy_error: 3 } });
    await pool.close();
  });

  it('holds a pool lease per page: with limits.maxInFlight 1, no proxy carries two pages at once, and each lease ends when its outcome is reported, failures and retries included', async () => {
    const proxies = farm.proxies.filter((p) => p.name === 'good-1' || p.name === 'good-2').map((p) => p.url);
    const pool = new ProxyPool({ proxies, limits: { maxInFlight: 1 } });
    const bridge = crawleeBridge(pool);
    // Pages that take a while at the site, so that two pages on one proxy would overlap if they could; and one
    // that no proxy can fetch (a host the proxies cannot resolve: their own 503, the far side's fault), failed and
    // retried by Crawlee until its last attempt goes to failedRequestHandler.
    const urls = [
      ...Array.from({ length: 6 }, (_, i) => farm.site.url(`/slow/300?lease-${i}`, 'crawlee.test')),
      farm.site.url('/page/0?lease', 'nowhere.invalid'),
    ];
    /** A proxy's leases in flight just after the bridge reported a page on it: its own lease must have ended. */
    const afterReport: number[] = [];
    const check =
      <A extends unknown[]>(handler: (context: never, ...args: A) => unknown) =>
      async (context: { proxyInfo?: { url: string } }, ...args: A) => {
        try {
          await handler(context as never, ...args);
        } finally {
          if (context.proxyInfo) afterReport.push(pool.getMetrics(context.proxyInfo.url)?.inFlight ?? -1);
        }
      };
    const run = await crawlWithCrawlee(
      urls,
      {
        ...hooks(bridge),
        postNavigationHooks: [check(bridge.postNavigationHook) as never],
        errorHandler: check(bridge.errorHandler) as never,
        failedRequestHandler: check(bridge.failedRequestHandler) as never,
      },
      { concurrency: 4, navigationTimeoutSecs: 5, maxRequestRetries: 2, trace: true },
    );
    expect(run.fetched).toBe(6);
    expect(run.failed).toBe(1);
    expect(run.attempts).toBe(6 + 3);
    // Per proxy, one navigation at a time: each began after the one before it on that proxy was reported.
    for (const proxy of proxies) {
      const mine = run.trace.filter(
        (a): a is CrawleeAttempt & { navigationAt: number } => a.proxy === proxy && a.navigationAt !== undefined,
      );
      mine.sort((a, b) => a.navigationAt - b.navigationAt);
      for (let i = 1; i < mine.length; i++) expect(mine[i]!.navigationAt).toBeGreaterThanOrEqual(mine[i - 1]!.settledAt!);
    }
    expect(afterReport.length).toBeGreaterThanOrEqual(run.attempts);
    expect(afterReport.every((n) => n === 0)).toBe(true);
    expect(bridge.pagesInFlight).toBe(0);
    await pool.close();
  });

  it('maps a Crawlee session onto one gateway session, and retires it when Crawlee retires its session', async () => {
    const gateway = await farm.addGateway();
    const pool = new ProxyPool({ proxies: [gateway.url()], gateway: { sessions: 4 } });
    const retired: string[] = [];
    pool.on('sessionRetired', ({ reason }) => retired.push(reason));
    let pages = 0;
    const urls = Array.from({ length: 6 }, (_, i) => farm.site.url(`/page/${i}?gw`, 'crawlee.test'));
    const run = await crawlWithCrawlee(urls, hooks(crawleeBridge(pool)), {
      concurrency: 1,
      navigationTimeoutSecs: 5,
      sessionPoolOptions: { maxPoolSize: 1 },
      onPage: ({ session }) => {
        if (++pages === 3) session?.retire();
      },
    });
    expect(run.fetched).toBe(urls.length);
    // One Crawlee session (maxPoolSize 1) on one gateway session until Crawlee retired it after the
    // third page; then on a new one (the retired gateway session is not used again).
    expect(new Set(run.sessions).size).toBe(1);
    expect(run.proxies).toHaveLength(6);
    expect(new Set(run.proxies.slice(0, 3)).size).toBe(1);
    expect(new Set(run.proxies.slice(3)).size).toBe(1);
    expect(run.proxies[3]).not.toBe(run.proxies[0]);
    expect(retired.some((reason) => reason.includes(run.sessions[0]!))).toBe(true);
    expect(gateway.stats().sessions).toBe(2);
    await pool.close();
  });
});
