/**
 * Crawlee's ceiling beside the bridge: PlaywrightCrawler given only the good proxies, with all
 * of them and its own rotation, and through `@proxy-pool/crawlee`, each on a fresh farm of the
 * goodput benchmark's mix (20 proxies: 8 good, the rest slow, refusing, hanging, resetting,
 * flaky, banned, dying, recovering), with real Chromium, one after another.
 *
 *   pnpm bench:crawlee                       120 https pages, concurrency 8, 20 proxies
 *   (also CRAWLEE_PAGES, CRAWLEE_CONCURRENCY, CRAWLEE_PROXIES, CRAWLEE_NAV_TIMEOUT_SECS, CRAWLEE_HTTP=1, CRAWLEE_ONLY=ceiling,bridge)
 */
import { ProxyConfiguration } from '@crawlee/playwright';
import { ProxyPool } from '@proxy-pool/core';
import { crawleeBridge } from '@proxy-pool/crawlee';
import { ProxyFarm } from '@proxy-pool/e2e/farm';
import { type CrawleeRun, crawlWithCrawlee } from '../e2e/src/crawlee-crawl.js';
import { mixedList } from './crawl-bench.js';

const PAGES = Number(process.env.CRAWLEE_PAGES ?? 120);
const CONCURRENCY = Number(process.env.CRAWLEE_CONCURRENCY ?? 8);
const PROXIES = Number(process.env.CRAWLEE_PROXIES ?? 20);
const NAV_TIMEOUT_SECS = Number(process.env.CRAWLEE_NAV_TIMEOUT_SECS ?? 5);
const HTTPS = process.env.CRAWLEE_HTTP !== '1';
const only = process.env.CRAWLEE_ONLY?.split(',');

type Setup = Parameters<typeof crawlWithCrawlee>[1];
const configurations: Array<{ name: string; setup: (farm: ProxyFarm) => { setup: Setup; close?: () => Promise<void> } }> = [
  {
    name: 'ceiling: Crawlee, good proxies only',
    setup: (farm) => ({
      setup: {
        proxyConfiguration: new ProxyConfiguration({ proxyUrls: farm.proxies.filter((p) => p.name.startsWith('good-')).map((p) => p.url) }),
      },
    }),
  },
  {
    name: 'Crawlee, all proxies, its own rotation',
    setup: (farm) => ({ setup: { proxyConfiguration: new ProxyConfiguration({ proxyUrls: farm.urls }) } }),
  },
  {
    name: 'Crawlee through the bridge',
    setup: (farm) => {
      const pool = new ProxyPool({ proxies: farm.urls });
      const bridge = crawleeBridge(pool);
      return {
        setup: {
          proxyConfiguration: bridge.proxyConfiguration,
          preNavigationHooks: [bridge.preNavigationHook as never],
          postNavigationHooks: [bridge.postNavigationHook as never],
          errorHandler: bridge.errorHandler as never,
        },
        close: () => pool.close(),
      };
    },
  },
];
const chosen = configurations.filter((c) => !only || only.some((o) => c.name.includes(o)));

console.log(
  `crawlee: ${PAGES} ${HTTPS ? 'https' : 'http'} pages, concurrency ${CONCURRENCY}, ${PROXIES} proxies, navigation timeout ${NAV_TIMEOUT_SECS} s, PlaywrightCrawler\n`,
);
const results: Array<{ name: string; run: CrawleeRun }> = [];
for (const config of chosen) {
  const farm = await ProxyFarm.start({ proxies: mixedList(PROXIES), sites: [{ https: HTTPS }] });
  const { setup, close } = config.setup(farm);
  try {
    const urls = Array.from({ length: PAGES }, (_, i) => farm.site.url(`/page/${i}`));
    const run = await crawlWithCrawlee(urls, setup, {
      concurrency: CONCURRENCY,
      navigationTimeoutSecs: NAV_TIMEOUT_SECS,
      extraArgs: HTTPS ? ['--ignore-certificate-errors'] : [],
    });
    results.push({ name: config.name, run });
    console.log(`  ${config.name}: done in ${run.seconds.toFixed(1)} s`);
  } finally {
    await close?.();
    await farm.close();
  }
}

const ceiling = results.find((r) => r.name.startsWith('ceiling')) ?? results[0]!;
const rate = (r: CrawleeRun) => r.fetched / r.seconds;
const rows = results.map(({ name, run }) => [
  name,
  String(run.fetched),
  String(run.failed),
  rate(run).toFixed(2),
  (run.attempts / Math.max(1, run.fetched)).toFixed(2),
  (rate(run) / rate(ceiling.run)).toFixed(2),
]);
const header = ['configuration', 'fetched', 'failed', 'pages/s', 'attempts/page', 'vs ceiling'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
console.log('');
console.log(`| ${header.map((h, i) => h.padEnd(widths[i]!)).join(' | ')} |`);
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of rows) console.log(`| ${row.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`);
console.log('\nattempts/page: navigations started (every try of every request) per page fetched.');
