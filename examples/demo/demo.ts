/**
 * The demo: a farm of 20 local proxies (a third of them bad in different ways) and a rotating
 * gateway (one host:port, an exit per session token, some exits banned or dead), a few
 * hundred local pages, real Chromium, and the pool learning which proxies and sessions to avoid.
 *
 *   npm run demo        (from the repository root: installs what it needs first)
 */
import { ProxyPool, RetriesExhaustedError } from '@proxy-pool/core';
import { type ProxySpec, ProxyFarm } from '@proxy-pool/e2e/farm';
import { withProxyPool } from '@proxy-pool/playwright';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../../e2e/src/chromium.js';
import { bar, bold, dim, draw, green, isTty, red, table, yellow } from './render.js';

const PAGES = Number(process.env.DEMO_PAGES ?? 300);
const CONCURRENCY = Number(process.env.DEMO_CONCURRENCY ?? 6);
const SITES = ['books.test', 'news.test', 'shop.test'];

const MIX: ProxySpec[] = [
  ...Array.from({ length: 9 }, (_, i) => ({ name: `good-${i + 1}`, mode: 'good' as const })),
  { name: 'slow-1', mode: 'slow', delayMs: 1_200 },
  { name: 'slow-2', mode: 'slow', delayMs: 2_000 },
  { name: 'refusing-1', mode: 'refuse' },
  { name: 'refusing-2', mode: 'refuse' },
  { name: 'hanging', mode: 'hang' },
  { name: 'resetting', mode: 'reset' },
  { name: 'flaky', mode: 'flaky', failRate: 0.4 },
  { name: 'banned-by-shop', mode: 'good', bannedOn: ['shop.test'] },
  {
    name: 'bad-password',
    mode: 'good',
    credentials: { username: 'demo', password: 'right' },
    listedCredentials: { username: 'demo', password: 'wrong' },
  },
  { name: 'dies-after-15', mode: 'good', dieAfter: 15 },
  { name: 'recovers-at-20s', mode: 'good', recoverAfterMs: 20_000 },
];

async function main(): Promise<void> {
  const started = Date.now();
  // The gateway's exits: most good, some banned by the shop, some dead (a 502 "session failed").
  const farm = await ProxyFarm.start({
    proxies: MIX,
    gateways: [{ name: 'gateway', mix: { good: 6, banned: 1, dead: 1 }, bannedOn: ['shop.test'], seed: 5 }],
  });
  const names = new Map(farm.proxies.map((p) => [p.id, p.name]));
  // A gateway's sessions are members `<gateway id>#<session>`: named after the gateway here.
  const nameOf = (id: string) => names.get(id) ?? (id.includes('#') ? `gateway#${id.split('#')[1]}` : id);
  const gatewayUrl = farm.gateways[0]!.url(); // `http://customer-acme-sessid-{session}:secret@…`
  const pool = new ProxyPool({
    proxies: [...farm.urls, gatewayUrl],
    gateway: { sessions: 3 },
    retry: { retries: 4, minDelayMs: 200, maxDelayMs: 2_000 },
  });
  const events: string[] = [];
  const note = (line: string) => {
    events.push(`${dim(new Date().toISOString().slice(11, 19))} ${line}`);
    if (!isTty) console.log(line);
  };
  pool.on('breakerOpen', (e) => note(`${red('breaker open')}  ${nameOf(e.proxy.id)}: ${e.reason}`));
  pool.on('breakerClose', (e) => note(`${green('breaker closed')} ${nameOf(e.proxy.id)}`));
  pool.on('banned', (e) => note(`${yellow('banned')}        ${nameOf(e.proxy.id)} on ${e.target.split(':')[0]}`));
  pool.on('proxyAdded', (e) => note(`${green('added')}         ${nameOf(e.proxy.id)}`));
  pool.on('proxyRemoved', (e) => {
    if (!e.proxy.id.includes('#')) note(`${yellow('removed')}       ${nameOf(e.proxy.id)}`);
  });
  pool.on('sessionRetired', (e) => note(`${yellow('session retired')} ${nameOf(e.proxy.id)}: ${e.reason}`));

  const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
  // A context per proxy is kept between pages that went well: a navigation in an open context costs a fraction of a new one.
  const pooled = withProxyPool(browser, pool, { navigationTimeoutMs: 3_000, reuseContexts: true, maxIdleContexts: 24 });

  let fetched = 0;
  let failed = 0;
  let attempts = 0;
  let next = 0;
  let changed = false;
  const render = () =>
    draw([
      bold(`proxy-pool demo: ${PAGES} pages through ${farm.proxies.length} local proxies and a rotating gateway, ${CONCURRENCY} at a time`),
      `${bar(fetched + failed, PAGES)}  ${green(`${fetched} fetched`)}  ${failed ? red(`${failed} failed`) : '0 failed'}  ${(attempts / Math.max(1, fetched + failed)).toFixed(2)} attempts/page  ${((Date.now() - started) / 1000).toFixed(0)} s`,
      '',
      ...table(pool.snapshot(), nameOf),
      '',
      ...events.slice(-8),
    ]);
  const ticker = setInterval(render, 250);
  const progress = setInterval(() => {
    if (!isTty) console.log(`${fetched + failed}/${PAGES} pages, ${fetched} fetched, ${failed} failed`);
  }, 5_000);

  const worker = async () => {
    for (let i = next++; i < PAGES; i = next++) {
      if (!changed && i >= PAGES / 2) {
        changed = true;
        // The pool changes while it works: fresh proxies join, one leaves.
        for (let k = 1; k <= 3; k++) {
          const fresh = await farm.addProxy({ name: `fresh-${k}`, mode: 'good' });
          names.set(fresh.id, fresh.name);
          pool.add(fresh.url);
        }
        pool.remove(farm.proxy('good-1').url);
      }
      const site = SITES[i % SITES.length]!;
      const url = farm.site.url(`/page/${i}`, site);
      try {
        await pooled.run(
          async ({ page }) => {
            attempts++;
            await page.goto(url);
            return page.title();
          },
          { target: url },
        );
        fetched++;
      } catch (error) {
        failed++;
        if (!(error instanceof RetriesExhaustedError)) note(red(`page ${i}: ${(error as Error).message}`));
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  clearInterval(ticker);
  clearInterval(progress);
  render();

  const snapshot = pool.snapshot();
  const avoided = snapshot.proxies
    .filter((m) => m.circuitState !== 'closed' || m.bannedOn.length > 0 || m.healthScore < 0.4)
    .map((m) => {
      const kinds = Object.entries(m.failuresByKind).sort((a, b) => b[1] - a[1]);
      const why =
        m.bannedOn.length > 0 ? `banned by ${m.bannedOn.map((t) => t.split(':')[0]).join(', ')}` : `${kinds[0]?.[0] ?? 'failures'}`;
      const state = m.circuitState === 'closed' ? `score ${m.healthScore.toFixed(2)}` : m.circuitState;
      return `  ${nameOf(m.proxy).padEnd(18)} ${state.padEnd(11)} ${why} (${m.successfulRequests} ok, ${m.failedRequests} failed)`;
    });
  console.log('');
  console.log(bold('Summary'));
  console.log(`  pages fetched:     ${fetched} of ${PAGES}${failed ? ` (${failed} failed)` : ''}`);
  console.log(`  attempts per page: ${(attempts / Math.max(1, fetched + failed)).toFixed(2)}`);
  console.log(`  time:              ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log('  proxies the pool learned to avoid, and why:');
  for (const line of avoided) console.log(line);
  const [gateway] = pool.gateways;
  if (gateway) {
    const stats = farm.gateways[0]!.stats();
    console.log(
      `  the gateway:       ${gateway.minted} sessions minted, ${gateway.retired} retired (banned or dead exits), ${stats.byExit.good} of its ${stats.requests} requests through good exits`,
    );
  }

  await pooled.close();
  await browser.close();
  await pool.close();
  await farm.close();
}

await main();
