import { ProxyPool, RetriesExhaustedError } from '@proxy-pool/core';
import * as playwrightAdapter from '@proxy-pool/playwright';
import * as puppeteerAdapter from '@proxy-pool/puppeteer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchPlaywright, launchPuppeteer } from '../src/browsers.js';
import { type GatewayOptions, ProxyFarm } from '../src/farm/index.js';

// Rotating gateways through real Chromium, both adapters (issue 13): per-context credentials,
// sticky keys, retiring banned sessions, and a gateway that refuses the credentials.
interface AnyPage {
  goto(url: string, options?: { timeout?: number }): Promise<{ status(): number } | null>;
  title(): Promise<string>;
}
interface AnyContext {
  newPage(): Promise<AnyPage>;
  close(): Promise<void>;
}
interface Target {
  target?: string;
  sticky?: string;
}
interface AnyPooled {
  newContext(contextOptions?: object, options?: Target): Promise<AnyContext>;
  run<T>(task: (c: { page: AnyPage; attempt: number }) => Promise<T>, options?: Target & { retries?: number; wait?: boolean }): Promise<T>;
  close(): Promise<void>;
}
interface Adapter {
  name: string;
  launch(): Promise<{ close(): Promise<void> }>;
  wrap(browser: unknown, pool: ProxyPool, options?: { navigationTimeoutMs?: number }): AnyPooled;
  proxyOf(context: AnyContext): { id: string } | undefined;
}

const ADAPTERS: Adapter[] = [
  {
    name: 'playwright',
    launch: () => launchPlaywright(),
    wrap: (browser, pool, options) => playwrightAdapter.withProxyPool(browser as never, pool, options) as unknown as AnyPooled,
    proxyOf: (context) => playwrightAdapter.proxyOf(context as never),
  },
  {
    name: 'puppeteer',
    launch: () => launchPuppeteer('newest'),
    wrap: (browser, pool, options) => puppeteerAdapter.withProxyPool(browser as never, pool, options) as unknown as AnyPooled,
    proxyOf: (context) => puppeteerAdapter.proxyOf(context as never),
  },
];

const SESSION_OF = /sessid-([a-z0-9]+)/;

describe.each(ADAPTERS)('$name adapter through a rotating gateway', (adapter) => {
  let browser: { close(): Promise<void> };
  let farm: ProxyFarm;
  const open: Array<{ close(): Promise<unknown> }> = [];
  const startGateway = (options: Omit<GatewayOptions, 'registry'> = {}) => farm.addGateway(options);
  /** A pool on the gateway's `{session}` URL (or `input`) and the adapter on it, closed after the test. */
  const poolOn = (input: string, options: ConstructorParameters<typeof ProxyPool>[0] = {}) => {
    const pool = new ProxyPool({ retry: { minDelayMs: 10, maxDelayMs: 50 }, ...options, proxies: [input] });
    // Generous: a page that times out on a loaded machine would retire its session and move a sticky key.
    const pooled = adapter.wrap(browser, pool, { navigationTimeoutMs: 15_000 });
    open.push(pool, pooled);
    return { pool, pooled };
  };
  const url = (n: number) => farm.site.url(`/page/${n}`, 'shop.test');
  /** The exit the site saw the last request for `path` come from. */
  const exitSeenFor = (path: string) => farm.site.seen.findLast((s) => s.path === path)?.proxy;
  const fetchTitle = async ({ page }: { page: AnyPage }, n: number) => {
    await page.goto(url(n));
    return page.title();
  };

  beforeAll(async () => {
    browser = await adapter.launch();
    farm = await ProxyFarm.start({ proxies: [] });
  });
  afterEach(async () => {
    for (const thing of open.splice(0).reverse()) await thing.close();
  });
  afterAll(async () => {
    await farm?.close();
    await browser?.close();
  });

  it('gives two contexts open at once two sessions: two usernames at the gateway, two exits at the site', async () => {
    const gateway = await startGateway();
    const { pool, pooled } = poolOn(gateway.url());
    const a = await pooled.newContext({}, { target: url(0) });
    const b = await pooled.newContext({}, { target: url(0) });
    const [idA, idB] = [adapter.proxyOf(a)!.id, adapter.proxyOf(b)!.id];
    expect(idA).not.toBe(idB);
    expect(idA.startsWith(`${pool.gateways[0]!.id}#`)).toBe(true);
    const tokenA = idA.split('#')[1]!;
    const tokenB = idB.split('#')[1]!;
    const pageA = await a.newPage();
    const pageB = await b.newPage();
    // Interleaved while both are open: each context keeps its own credentials.
    for (let i = 0; i < 2; i++) {
      expect((await pageA.goto(url(100 + i)))?.status()).toBe(200);
      expect((await pageB.goto(url(200 + i)))?.status()).toBe(200);
    }
    const exitA = gateway.exitOf(tokenA)!.id;
    const exitB = gateway.exitOf(tokenB)!.id;
    expect(exitA).not.toBe(exitB);
    for (let i = 0; i < 2; i++) {
      expect(exitSeenFor(`/page/${100 + i}`)).toBe(exitA);
      expect(exitSeenFor(`/page/${200 + i}`)).toBe(exitB);
    }
    // The gateway saw both sessions' usernames, and every page request of A with A's, of B with B's.
    const tokens = new Set(gateway.log.map((r) => r.username.match(SESSION_OF)?.[1]));
    expect(tokens.has(tokenA) && tokens.has(tokenB)).toBe(true);
    expect(gateway.stats().usernames).toBeGreaterThanOrEqual(2);
    expect(gateway.log.filter((r) => r.request.includes('/page/1')).every((r) => r.token === tokenA)).toBe(true);
    expect(gateway.log.filter((r) => r.request.includes('/page/2')).every((r) => r.token === tokenB)).toBe(true);
    await a.close();
    await b.close();
  });

  it('keeps a sticky key on one exit across jobs and contexts, and another key on another', async () => {
    const gateway = await startGateway();
    const { pooled } = poolOn(gateway.url());
    const exits = (key: string, from: number) =>
      (async () => {
        const seen: string[] = [];
        for (let i = 0; i < 2; i++) {
          const n = from + i;
          expect(await pooled.run((c) => fetchTitle(c, n), { target: url(n), sticky: key })).toBe(`Page ${n}`);
          seen.push(exitSeenFor(`/page/${n}`)!);
        }
        return seen;
      })();
    const one = await exits('account-1', 300);
    const two = await exits('account-2', 400);
    expect(new Set(one).size).toBe(1);
    expect(new Set(two).size).toBe(1);
    expect(two[0]).not.toBe(one[0]);
    // Back to account-1, now through newContext: the same exit as its jobs had.
    const context = await pooled.newContext({}, { target: url(500), sticky: 'account-1' });
    const page = await context.newPage();
    expect((await page.goto(url(500)))?.status()).toBe(200);
    expect(exitSeenFor('/page/500')).toBe(one[0]);
    await context.close();
    const again = await pooled.newContext({}, { target: url(501), sticky: 'account-2' });
    await (await again.newPage()).goto(url(501));
    expect(exitSeenFor('/page/501')).toBe(two[0]);
    await again.close();
  });

  it('retires a session whose exit the site bans, and the job succeeds on a fresh one', async () => {
    // Half the exits banned: with this seed the first sessions include banned ones (asserted below).
    const gateway = await startGateway({ mix: { good: 1, banned: 1 }, seed: 3 });
    const { pool, pooled } = poolOn(gateway.url(), { retry: { retries: 6, minDelayMs: 10, maxDelayMs: 50 } });
    const retired: string[] = [];
    pool.on('sessionRetired', ({ reason }) => retired.push(reason));
    const titles: string[] = [];
    for (let n = 600; n < 606; n++) titles.push(await pooled.run((c) => fetchTitle(c, n), { target: url(n) }));
    expect(titles).toEqual(Array.from({ length: 6 }, (_, i) => `Page ${600 + i}`));
    expect(gateway.stats().byExit.banned).toBeGreaterThan(0); // banned exits were met…
    expect(retired.length).toBeGreaterThan(0); // …and their sessions retired
    expect(pool.gateways[0]!.retired).toBe(retired.length);
    // No page came from a banned exit.
    const banned = new Set(gateway.log.filter((r) => r.exit.kind === 'banned').map((r) => r.exit.id));
    for (let n = 600; n < 606; n++) expect(banned.has(exitSeenFor(`/page/${n}`)!)).toBe(false);
  });

  it('fails with proxy_auth on refused credentials, opens the gateway breaker, and mints no storm of sessions', async () => {
    const gateway = await startGateway();
    const { pool, pooled } = poolOn(gateway.url().replace(':secret@', ':wrong@'));
    const kinds: string[] = [];
    for (let n = 700; n < 705; n++) {
      const error = await pooled.run((c) => fetchTitle(c, n), { target: url(n), wait: false }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      if (error instanceof RetriesExhaustedError) kinds.push(...error.attempts.map((a) => a.kind ?? '?'));
    }
    expect(kinds.length).toBeGreaterThan(0);
    expect(kinds).toContain('proxy_auth');
    // (A pre-flight check slower than this pool's proxies are is told as a timeout on a loaded machine.)
    expect(kinds.filter((k) => k !== 'proxy_auth' && k !== 'timeout')).toEqual([]);
    expect(pool.gateways[0]!.circuitState).toBe('open');
    expect(pool.gateways[0]!.minted).toBeLessThanOrEqual(3);
    expect(gateway.stats().usernames).toBeLessThanOrEqual(3);
    expect(gateway.stats().requests).toBe(0); // nothing reached an exit
    expect(farm.site.seen.some((s) => s.path.startsWith('/page/70'))).toBe(false);

    // The same with right credentials the provider revoked mid-crawl.
    const revoked = await startGateway();
    const second = poolOn(revoked.url());
    expect(await second.pooled.run((c) => fetchTitle(c, 710), { target: url(710) })).toBe('Page 710');
    const before = second.pool.gateways[0]!.minted;
    revoked.revoked = true;
    for (let n = 711; n < 715; n++)
      await second.pooled.run((c) => fetchTitle(c, n), { target: url(n), wait: false }).catch(() => undefined);
    expect(second.pool.gateways[0]!.circuitState).toBe('open');
    expect(second.pool.gateways[0]!.minted - before).toBeLessThanOrEqual(3);
    expect(revoked.stats().rejected).toBeGreaterThan(0);
  });
});
