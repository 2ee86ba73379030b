/**
 * Limits: spacing prevents bans. A crawl through real Chromium (Playwright adapter, `run`) of
 * one site that bans a proxy sending it more than LIMITS_RATE pages a second (a sliding window
 * of LIMITS_WINDOW_MS; the farm's TargetSite `rateBan`), over good proxies only, three ways:
 * the same crawl of a site that bans nobody (the ceiling), the rate-banning site with the
 * pool's defaults, and with `limits: { minIntervalMs }` above the site's spacing. Fresh farm
 * and pool for every run; configurations interleaved run by run. Prints pages fetched, proxies
 * the site banned, attempts a page and pages/s, each the mean over the runs with the range.
 *
 *   pnpm --filter @proxy-pool/bench limits
 *   LIMITS_PAGES=200 LIMITS_CONCURRENCY=8 LIMITS_PROXIES=10 LIMITS_RUNS=3
 *   LIMITS_RATE=0.334 LIMITS_WINDOW_MS=6000 LIMITS_SPACING_MS=4500 LIMITS_MAX_WAIT_MS=6000
 */
import { type ProxyPoolOptions, ProxyPool } from '@proxy-pool/core';
import { ProxyFarm } from '@proxy-pool/e2e/farm';
import { withProxyPool } from '@proxy-pool/playwright';
import { type Browser, chromium } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../e2e/src/chromium.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const PAGES = env('LIMITS_PAGES', 200);
const CONCURRENCY = env('LIMITS_CONCURRENCY', 8);
const PROXIES = env('LIMITS_PROXIES', 10);
const RUNS = env('LIMITS_RUNS', 2);
// The site: more than 2 pages in any 6 s from one proxy is a ban (as in e2e/test/limits.test.ts).
const RATE = env('LIMITS_RATE', 1 / 3);
const WINDOW_MS = env('LIMITS_WINDOW_MS', 6_000);
// Above the site's spacing (3 s a page), with slack for the time from a lease to its page's request.
const SPACING_MS = env('LIMITS_SPACING_MS', 4_500);
// A page that gets no proxy in this long is lost. With spacing, longer than its waits; without
// limits a wait is only ever for a banned proxy, in vain: 1 s, not to slow that crawl down.
const MAX_WAIT_MS = env('LIMITS_MAX_WAIT_MS', 6_000);
const MAX_WAIT_UNLIMITED_MS = 1_000;

interface Config {
  name: string;
  rateBan: boolean;
  pool: Omit<ProxyPoolOptions, 'proxies'>;
}
const configs: Config[] = [
  { name: 'site bans nobody, no limits', rateBan: false, pool: { maxWaitMs: MAX_WAIT_UNLIMITED_MS } },
  { name: 'rate-banning site, no limits', rateBan: true, pool: { maxWaitMs: MAX_WAIT_UNLIMITED_MS } },
  {
    name: `rate-banning site, minIntervalMs ${SPACING_MS}`,
    rateBan: true,
    pool: { maxWaitMs: MAX_WAIT_MS, limits: { minIntervalMs: SPACING_MS } },
  },
];

interface Run {
  fetched: number;
  banned: number;
  attempts: number;
  seconds: number;
}

async function crawl(browser: Browser, config: Config): Promise<Run> {
  await using farm = await ProxyFarm.start({
    proxies: Array.from({ length: PROXIES }, () => ({ mode: 'good' as const })),
    sites: [config.rateBan ? { rateBan: { maxPerSecond: RATE, windowMs: WINDOW_MS } } : {}],
  });
  await using pool = new ProxyPool({ proxies: farm.urls, ...config.pool });
  const pooled = withProxyPool(browser, pool);
  const run: Run = { fetched: 0, banned: 0, attempts: 0, seconds: 0 };
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < PAGES) {
        const i = next++;
        const url = farm.site.url(`/page/${i}`, 'limits.test');
        try {
          const title = await pooled.run(
            async ({ page }) => {
              run.attempts++;
              await page.goto(url);
              return page.title();
            },
            { target: url },
          );
          if (title === `Page ${i}`) run.fetched++;
        } catch {
          // lost: retries used up, or no proxy within maxWaitMs
        }
      }
    }),
  );
  run.seconds = (performance.now() - started) / 1000;
  run.banned = new Set(farm.site.rateBanned.map((b) => b.proxy)).size;
  return run;
}

const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
console.log(
  `limits crawl: ${PAGES} pages, concurrency ${CONCURRENCY}, ${PROXIES} good proxies, the site bans a proxy sending it more than ` +
    `${Math.floor((RATE * WINDOW_MS) / 1000)} pages in ${WINDOW_MS} ms, ${RUNS} runs per configuration, interleaved\n`,
);
const runs: Run[][] = configs.map(() => []);
try {
  for (let r = 0; r < RUNS; r++) {
    for (const [k, config] of configs.entries()) {
      const run = await crawl(browser, config);
      runs[k]!.push(run);
      console.log(
        `  run ${r + 1}, ${config.name}: ${run.fetched}/${PAGES} fetched, ${run.banned} banned, ` +
          `${(run.attempts / PAGES).toFixed(2)} attempts/page, ${(run.fetched / run.seconds).toFixed(1)} pages/s`,
      );
    }
  }
} finally {
  await browser.close();
}

const summary = (values: number[], digits: number) => {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return lo === hi ? mean.toFixed(digits) : `${mean.toFixed(digits)} (${lo.toFixed(digits)}–${hi.toFixed(digits)})`;
};
console.log(`\n| configuration | pages fetched (of ${PAGES}) | proxies banned (of ${PROXIES}) | attempts/page | pages/s |`);
console.log('|---|---|---|---|---|');
for (const [k, config] of configs.entries()) {
  const rs = runs[k]!;
  console.log(
    `| ${config.name} | ${summary(
      rs.map((r) => r.fetched),
      0,
    )} | ${summary(
      rs.map((r) => r.banned),
      0,
    )} | ${summary(
      rs.map((r) => r.attempts / PAGES),
      2,
    )} | ${summary(
      rs.map((r) => r.fetched / r.seconds),
      1,
    )} |`,
  );
}
