/**
 * Crawlee's ceiling beside the bridge: PlaywrightCrawler given only the good proxies, with all
 * of them and its own rotation, and through `@proxy-pool/crawlee`, each on a fresh farm of the
 * goodput benchmark's mix (20 proxies: 8 good, the rest slow, refusing, hanging, resetting,
 * flaky, banned, dying, recovering), with real Chromium, one after another, in rounds: every
 * other round in the reverse order, so that a machine getting busier or quieter (others share
 * it) favours none; each round's ratios are to that round's ceiling, which runs next to the
 * bridge. The flaky proxies' coin and the pool's random source are seeded.
 *
 *   pnpm bench:crawlee                       120 https pages, concurrency 8, 20 proxies, 2 rounds
 *   (also CRAWLEE_PAGES, CRAWLEE_CONCURRENCY, CRAWLEE_PROXIES, CRAWLEE_NAV_TIMEOUT_SECS, CRAWLEE_HTTP=1,
 *    CRAWLEE_ROUNDS, CRAWLEE_ONLY=ceiling,bridge, CRAWLEE_DEBUG=1: where each configuration's time went, by kind of proxy,
 *    CRAWLEE_OVERHEAD=1: the bridge over the good proxies only too, CRAWLEE_BRIDGE_OPTIONS='{"sticky":false}': bridge options to try,
 *    CRAWLEE_CRAWLER=puppeteer: PuppeteerCrawler instead of PlaywrightCrawler, for every configuration)
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { ProxyConfiguration } from '@crawlee/playwright';
import { ProxyPool } from '@proxy-pool/core';
import { seededRandom } from '@proxy-pool/core/testing';
import { type CrawleeBridgeOptions, crawleeBridge } from '@proxy-pool/crawlee';
import { ProxyFarm } from '@proxy-pool/e2e/farm';
import { type CrawleeAttempt, type CrawleeRun, crawlWithCrawlee } from '../e2e/src/crawlee-crawl.js';
import { mixedList } from './crawl-bench.js';

const PAGES = Number(process.env.CRAWLEE_PAGES ?? 120);
const CONCURRENCY = Number(process.env.CRAWLEE_CONCURRENCY ?? 8);
const PROXIES = Number(process.env.CRAWLEE_PROXIES ?? 20);
const NAV_TIMEOUT_SECS = Number(process.env.CRAWLEE_NAV_TIMEOUT_SECS ?? 5);
const ROUNDS = Math.max(1, Number(process.env.CRAWLEE_ROUNDS ?? 2));
const HTTPS = process.env.CRAWLEE_HTTP !== '1';
const DEBUG = process.env.CRAWLEE_DEBUG === '1';
const CRAWLER = process.env.CRAWLEE_CRAWLER === 'puppeteer' ? 'puppeteer' : 'playwright';
const only = process.env.CRAWLEE_ONLY?.split(',');
/** Bridge options to try beside the defaults, as JSON (e.g. '{"sticky":false}'): one more configuration. */
const variant = process.env.CRAWLEE_BRIDGE_OPTIONS;

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
  { name: 'Crawlee through the bridge', setup: (farm) => throughBridge(farm, {}) },
  // What the bridge costs by itself: the ceiling's proxies, through the bridge.
  ...(process.env.CRAWLEE_OVERHEAD === '1'
    ? [{ name: 'the bridge, good proxies only', setup: (farm: ProxyFarm) => throughBridge(farm, {}, (name) => name.startsWith('good-')) }]
    : []),
  ...(variant ? [{ name: `the bridge with ${variant}`, setup: (farm: ProxyFarm) => throughBridge(farm, JSON.parse(variant)) }] : []),
  {
    name: 'Crawlee, all proxies, its own rotation',
    setup: (farm) => ({ setup: { proxyConfiguration: new ProxyConfiguration({ proxyUrls: farm.urls }) } }),
  },
];

function throughBridge(farm: ProxyFarm, options: CrawleeBridgeOptions, only?: (name: string) => boolean) {
  const proxies = farm.proxies.filter((p) => !only || only(p.name)).map((p) => p.url);
  const pool = new ProxyPool({ proxies, random: seededRandom(7) });
  const bridge = crawleeBridge(pool, options);
  if (DEBUG) watchPool(pool, farm);
  return {
    setup: {
      proxyConfiguration: bridge.proxyConfiguration,
      preNavigationHooks: [bridge.preNavigationHook as never],
      postNavigationHooks: [bridge.postNavigationHook as never],
      errorHandler: bridge.errorHandler as never,
      failedRequestHandler: bridge.failedRequestHandler as never,
    },
    close: () => pool.close(),
  };
}
const chosen = configurations.filter((c) => !only || only.some((o) => c.name.includes(o)));
/**
 * CPU seconds of this process and its reaped children (Chromium, after teardown): what a
 * configuration costs the machine, which moves less than its rate when other work shares it.
 */
const cpuSeconds = () => {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  // utime, stime, cutime, cstime: fields 14-17 of proc(5), 12-15 after the name.
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) / 100;
};
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

console.log(
  `crawlee: ${PAGES} ${HTTPS ? 'https' : 'http'} pages, concurrency ${CONCURRENCY}, ${PROXIES} proxies, navigation timeout ${NAV_TIMEOUT_SECS} s, ${CRAWLER === 'puppeteer' ? 'PuppeteerCrawler' : 'PlaywrightCrawler'}, ${ROUNDS} round(s); load average ${load()}\n`,
);
const results: Array<{ name: string; round: number; run: CrawleeRun; cpu: number }> = [];
for (let round = 0; round < ROUNDS; round++) {
  // Every other round backwards: the ceiling and the bridge run next to each other, and a machine
  // getting busier (or quieter) over the run favours neither.
  const order = round % 2 === 0 ? chosen : [...chosen].reverse();
  for (const config of order) {
    // Flaky proxies draw from a seeded source: the same farm every run.
    const farm = await ProxyFarm.start({ proxies: mixedList(PROXIES), sites: [{ https: HTTPS }], random: seededRandom(round + 1) });
    const { setup, close } = config.setup(farm);
    const cpuBefore = cpuSeconds();
    const nodeBefore = process.cpuUsage();
    try {
      const urls = Array.from({ length: PAGES }, (_, i) => farm.site.url(`/page/${i}`));
      const run = await crawlWithCrawlee(urls, setup, {
        crawler: CRAWLER,
        concurrency: CONCURRENCY,
        navigationTimeoutSecs: NAV_TIMEOUT_SECS,
        extraArgs: HTTPS ? ['--ignore-certificate-errors'] : [],
        trace: DEBUG,
      });
      const cpu = cpuSeconds() - cpuBefore;
      const node = process.cpuUsage(nodeBefore);
      if (DEBUG)
        console.log(
          `    CPU: ${((node.user + node.system) / 1e6).toFixed(1)} s in this process (the farm, Crawlee, the pool), the rest Chromium's`,
        );
      results.push({ name: config.name, round, run, cpu });
      console.log(
        `  round ${round + 1}, ${config.name}: done in ${run.seconds.toFixed(1)} s, ${cpu.toFixed(0)} CPU s (load average ${load()})`,
      );
      if (DEBUG) breakdown(run, farm);
    } finally {
      await close?.();
      await farm.close();
    }
  }
}

/** What the pool made of it (with CRAWLEE_DEBUG=1): failures by kind of proxy, kind and verdict; bans, breakers, target outages. */
function watchPool(pool: ProxyPool, farm: ProxyFarm): void {
  const kindOf = new Map(farm.proxies.map((p) => [p.url, p.name.replace(/-\d+$/, '')]));
  const counts = new Map<string, number>();
  const count = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  const name = (proxy: { id: string }) => kindOf.get(proxy.id) ?? proxy.id;
  pool.on('failure', (e) => count(`${name(e.proxy)}: ${e.kind} ${e.verdict}`));
  pool.on('banned', (e) => count(`${name(e.proxy)}: banned (${e.kind})`));
  pool.on('breakerOpen', (e) => count(`${name(e.proxy)}: breaker opened`));
  pool.on('targetDown', () => count('target down'));
  pool.on('targetUp', () => count('target up'));
  pool.onClose(() => {
    console.log('    pool events:');
    for (const [key, n] of [...counts].sort()) console.log(`      ${n}× ${key}`);
  });
}

/** Where the crawl's time went: per kind of proxy (its name up to the dash), attempts and the slot time they took. */
function breakdown(run: CrawleeRun, farm: ProxyFarm): void {
  const kindOf = new Map(farm.proxies.map((p) => [p.url, p.name.replace(/-\d+$/, '')]));
  const rows = new Map<
    string,
    { attempts: number; ok: number; newUrl: number; open: number; nav: number; slot: number; errors: Map<string, number> }
  >();
  for (const a of run.trace) {
    const kind = a.proxy === undefined ? '(no proxy)' : (kindOf.get(a.proxy) ?? '?');
    const row = rows.get(kind) ?? { attempts: 0, ok: 0, newUrl: 0, open: 0, nav: 0, slot: 0, errors: new Map() };
    rows.set(kind, row);
    row.attempts++;
    if (a.doneAt !== undefined) row.ok++;
    const end = a.doneAt ?? a.settledAt ?? a.navigationAt ?? a.proxyAt ?? a.askedAt;
    row.newUrl += (a.proxyAt ?? end) - a.askedAt;
    if (a.navigationAt !== undefined) row.open += a.navigationAt - (a.proxyAt ?? a.askedAt);
    if (a.navigationAt !== undefined && a.settledAt !== undefined) row.nav += a.settledAt - a.navigationAt;
    row.slot += end - a.askedAt;
    const why = a.error
      ? a.error.replace(/https?:\/\/\S+/g, '<url>').slice(0, 70)
      : a.status && a.status >= 400
        ? `HTTP ${a.status}`
        : undefined;
    if (why) row.errors.set(why, (row.errors.get(why) ?? 0) + 1);
  }
  const slots = run.seconds * 1000 * CONCURRENCY;
  let busy = 0;
  let inNewUrl = 0;
  console.log('    kind        attempts  ok  newUrl ms/att  open ms/att  nav ms/att  slot s');
  for (const [kind, r] of [...rows].sort((a, b) => b[1].slot - a[1].slot)) {
    busy += r.slot;
    inNewUrl += r.newUrl;
    const per = (v: number) => (v / r.attempts).toFixed(0).padStart(12);
    console.log(
      `    ${kind.padEnd(11)} ${String(r.attempts).padStart(8)} ${String(r.ok).padStart(3)} ${per(r.newUrl)}  ${per(r.open)} ${per(r.nav)} ${(r.slot / 1000).toFixed(1).padStart(7)}`,
    );
    for (const [why, n] of r.errors) console.log(`      ${n}× ${why}`);
  }
  console.log(
    `    slot time in attempts ${(busy / 1000).toFixed(1)} s of ${(slots / 1000).toFixed(1)} s (${CONCURRENCY} × ${run.seconds.toFixed(1)} s; the rest is Crawlee between attempts and the tail), ${(inNewUrl / 1000).toFixed(1)} s of it in newUrl`,
  );
  const slowNewUrl = run.trace.filter((a) => (a.proxyAt ?? a.askedAt) - a.askedAt > 300);
  if (slowNewUrl.length > 0) {
    const list = slowNewUrl.map((a) => `${((a.proxyAt ?? 0) - a.askedAt) / 1000}s@${(a.askedAt / 1000).toFixed(0)}`).join(' ');
    console.log(`    newUrl over 300 ms (time it took @ when, s): ${list}`);
  }
  // Idle slots: before the last attempt began (between attempts) and after it (the tail, retries running alone).
  const endOf = (a: CrawleeAttempt) => a.doneAt ?? a.settledAt ?? a.navigationAt ?? a.proxyAt ?? a.askedAt;
  const lastStart = run.trace.reduce((m, a) => Math.max(m, a.askedAt), 0);
  const lastEnd = run.trace.reduce((m, a) => Math.max(m, endOf(a)), 0);
  const busyBefore = run.trace.reduce((sum, a) => sum + Math.max(0, Math.min(endOf(a), lastStart) - a.askedAt), 0);
  const idleBefore = CONCURRENCY * lastStart - busyBefore;
  const idleTail = CONCURRENCY * (lastEnd - lastStart) - (busy - busyBefore);
  console.log(
    `    idle slot time: ${(idleBefore / 1000).toFixed(1)} s until the last attempt began at ${(lastStart / 1000).toFixed(1)} s, ${(idleTail / 1000).toFixed(1)} s in the tail to ${(lastEnd / 1000).toFixed(1)} s\n`,
  );
}

const rate = (r: CrawleeRun) => r.fetched / r.seconds;
const ratio = (round: number, run: CrawleeRun) => {
  const ceiling = results.find((r) => r.round === round && r.name.startsWith('ceiling')) ?? results.find((r) => r.round === round)!;
  return rate(run) / rate(ceiling.run);
};
const rows = chosen.map(({ name }) => {
  const runs = results.filter((r) => r.name === name);
  const sum = (f: (r: (typeof runs)[number]) => number) => runs.reduce((s, r) => s + f(r), 0);
  const ratios = runs.map((r) => ratio(r.round, r.run).toFixed(2)).join(', ');
  return [
    name,
    `${sum((r) => r.run.fetched)}/${PAGES * runs.length}`,
    String(sum((r) => r.run.failed)),
    runs.map((r) => rate(r.run).toFixed(2)).join(', '),
    runs.map((r) => (r.run.attempts / Math.max(1, r.run.fetched)).toFixed(2)).join(', '),
    ratios,
    runs.map((r) => (r.cpu / Math.max(1, r.run.fetched)).toFixed(2)).join(', '),
  ];
});
const header = ['configuration', 'fetched', 'failed', 'pages/s', 'attempts/page', 'vs ceiling', 'CPU s/page'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
console.log('');
console.log(`| ${header.map((h, i) => h.padEnd(widths[i]!)).join(' | ')} |`);
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of rows) console.log(`| ${row.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`);
console.log(
  `\nattempts/page: navigations started (every try of every request) per page fetched; one value per round, ratios to that round's ceiling. CPU s/page: this process and Chromium. Load average at the end: ${load()}.`,
);
