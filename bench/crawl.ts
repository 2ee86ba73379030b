/**
 * Goodput: how close a crawl through a bad proxy list (40% good, the rest slow, refusing,
 * hanging, resetting, flaky, banned, dying or recovering) comes to one through only the good
 * proxies, with real Chromium, in one process, on the same local farm.
 *
 *   pnpm bench:crawl                       N=500 pages, C=8, 40 proxies: defaults, naive, oracle
 *   pnpm bench:crawl -- --all              every rotation strategy too
 *   CRAWL_PAGES=100 pnpm bench:crawl       a quick one
 *   CRAWL_BROWSERS=chromium pnpm bench:crawl   Chromium only (default: chromium,firefox)
 *   (also CRAWL_HTTP=1, CRAWL_SITES, CRAWL_CONCURRENCY, CRAWL_PROXIES, CRAWL_NAV_TIMEOUT_MS, CRAWL_ROUNDS, CRAWL_ONLY=oracle,defaults, CRAWL_DEBUG=1)
 *
 * Chromium runs through Playwright; Firefox (Debian's firefox-esr) through Puppeteer over
 * WebDriver BiDi, the pool's defaults and its own oracle (the naive rotation only with --all),
 * in the same interleaved rounds: each browser's goodput is against its own oracle.
 */
import { loadavg } from 'node:os';
import { ROTATION_NAMES } from '@proxy-pool/core';
import { chromium } from 'playwright-core';
import { launchPuppeteerFirefox } from '../e2e/src/browsers.js';
import { CHROMIUM_ARGS, chromiumPath } from '../e2e/src/chromium.js';
import { firefoxCrawlDriver } from '../e2e/src/firefox-crawl.js';
import { Crawl, type CrawlConfig, type CrawlDriver, type CrawlResult, configurations } from './crawl-bench.js';

const PAGES = Number(process.env.CRAWL_PAGES ?? 500);
const CONCURRENCY = Number(process.env.CRAWL_CONCURRENCY ?? 8);
const PROXIES = Number(process.env.CRAWL_PROXIES ?? 40);
const NAV_TIMEOUT = Number(process.env.CRAWL_NAV_TIMEOUT_MS ?? 5_000);
const SITES = Number(process.env.CRAWL_SITES ?? 1);
const HTTPS = process.env.CRAWL_HTTP !== '1';

const ROUNDS = Math.max(1, Number(process.env.CRAWL_ROUNDS ?? 5));
// The default run compares what the targets are about (the defaults, a naive rotation,
// the oracle) in about five minutes; `--all` adds every rotation strategy (about three times as long).
const all = process.argv.includes('--all') || process.env.CRAWL_ALL === '1';
const only = process.env.CRAWL_ONLY?.split(',');
const chosen = configurations(ROTATION_NAMES).filter((c) =>
  only ? only.some((o) => c.name.includes(o)) : all || !c.name.startsWith('pool, ') || c.name === 'pool, defaults',
);

const browsers = (process.env.CRAWL_BROWSERS ?? 'chromium,firefox').split(',');
const chromiumBrowser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
const firefoxBrowser = browsers.includes('firefox') ? await launchPuppeteerFirefox() : undefined;
/** Every (driver, configuration) pair to crawl: Chromium's chosen ones, Firefox's without the naive rotation unless --all or asked for. */
const runs: Array<{ driver: Parameters<typeof Crawl.start>[0]; config: CrawlConfig }> = [];
if (browsers.includes('chromium')) for (const config of chosen) runs.push({ driver: chromiumBrowser, config });
if (firefoxBrowser) {
  const firefox: CrawlDriver = firefoxCrawlDriver(firefoxBrowser);
  for (const config of chosen) if (all || only || !config.name.startsWith('naive')) runs.push({ driver: firefox, config });
}
const options = { pages: PAGES, concurrency: CONCURRENCY, proxies: PROXIES, navigationTimeoutMs: NAV_TIMEOUT, sites: SITES, https: HTTPS };
console.log(
  `crawl: ${PAGES} ${HTTPS ? 'https' : 'http'} pages on ${SITES} site(s), concurrency ${CONCURRENCY}, ${PROXIES} proxies, navigation timeout ${NAV_TIMEOUT} ms, ` +
    `${runs.length} configurations (${browsers.join(', ')}) in ${ROUNDS} interleaved rounds, load average ${loadAverage()}\n`,
);
const startedAt = Date.now();
const crawls: Crawl[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const from = Math.round((PAGES * round) / ROUNDS);
  const to = Math.round((PAGES * (round + 1)) / ROUNDS);
  // Each round starts with a different configuration, so that none always follows the same one.
  for (let k = 0; k < runs.length; k++) {
    const index = (k + round) % runs.length;
    crawls[index] ??= await Crawl.start(runs[index]!.driver, runs[index]!.config, options);
    await crawls[index].crawl(from, to);
  }
  console.log(`  round ${round + 1}/${ROUNDS}: pages ${from}–${to - 1} done by every configuration (load average ${loadAverage()})`);
}
const results: CrawlResult[] = crawls.map((c) => c.result());
if (process.env.CRAWL_DEBUG) for (const c of crawls) console.log(`  ${c.name}\n${c.debugLines().join('\n')}`);
for (const c of crawls) await c.close();
await chromiumBrowser.close();
await firefoxBrowser?.close();

/** Each result against the oracle of its own browser. */
const oracleOf = (r: CrawlResult) => results.find((o) => o.label === r.label && o.name.includes('oracle')) ?? results[0]!;
const rate = (r: CrawlResult) => r.fetched / r.seconds;
const rows = results.map((r) => {
  const oracle = oracleOf(r);
  const lost = [...oracle.fetchedUrls].filter((u) => !r.fetchedUrls.has(u)).length;
  return [
    r.name,
    String(r.fetched),
    String(r.failed),
    rate(r).toFixed(1),
    (r.attempts / Math.max(1, r.fetched)).toFixed(2),
    (rate(r) / rate(oracle)).toFixed(2),
    String(lost),
    r.attemptsAfterDeath.length ? r.attemptsAfterDeath.join(', ') : '-',
    r.msToReuse.length ? r.msToReuse.map((ms) => (ms === undefined ? 'never' : `${(ms / 1000).toFixed(1)} s`)).join(', ') : '-',
  ];
});
const header = [
  'configuration',
  'fetched',
  'failed',
  'pages/s',
  'attempts/page',
  'vs oracle',
  'lost',
  'attempts on dead',
  'recovered reused after',
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
console.log('');
console.log(`| ${header.map((h, i) => h.padEnd(widths[i]!)).join(' | ')} |`);
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of rows) console.log(`| ${row.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`);
console.log('\nlost: pages the oracle fetched that this configuration did not. attempts on dead: attempts through each proxy');
console.log("after it died mid-crawl. recovered reused after: from a proxy's recovery to its first success. vs oracle: against");
console.log('the oracle of the same browser (Firefox rows: Puppeteer with Firefox; the others: Playwright with Chromium).');
const [chromiumOracle, firefoxOracle] = [
  results.find((r) => r.label === '' && r.name.includes('oracle')),
  results.find((r) => r.label === 'Firefox' && r.name.includes('oracle')),
];
if (chromiumOracle && firefoxOracle) {
  console.log(`Firefox's oracle ran at ${(rate(firefoxOracle) / rate(chromiumOracle)).toFixed(2)} × Chromium's pages per second.`);
}
console.log(`${((Date.now() - startedAt) / 60_000).toFixed(1)} minutes of crawling; load average at the end ${loadAverage()}.`);

function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}
