import { connect } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { type FailureKind, ProxyPool } from '@proxy-pool/core';
import { proxyOf, withProxyPool } from '@proxy-pool/puppeteer';
import type { Browser } from 'puppeteer-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchPuppeteerFirefox } from '../src/browsers.js';
import { FarmRegistry, ProxyFarm, Socks5Server } from '../src/farm/index.js';

// Firefox caches proxy credentials per proxy host:port across contexts: two contexts on one
// gateway with two sessions' usernames would both go out as the first (measured below, as a
// control). Through the adapter each proxy with credentials — each gateway session — gets its own
// local relay that adds them itself: Firefox never holds them, so it can neither mix them up nor
// hand them to a site that asks for Basic auth.

const PROXY_USER = 'proxy-user';
const PROXY_PASS = 'Proxy-Secret-4711';

// pino is core's dependency (the pool's logger type); the test takes the same copy.
type PoolLogger = NonNullable<NonNullable<ConstructorParameters<typeof ProxyPool>[0]>['logger']>;
const pino = createRequire(join(dirname(fileURLToPath(import.meta.url)), '../../packages/core/package.json'))('pino') as (
  options: object,
  stream: Writable,
) => PoolLogger;

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Resolves with the pool's first failure report (the adapter's verdict on a navigation). */
function nextFailure(pool: ProxyPool): Promise<{ kind: FailureKind; status: number | undefined }> {
  return new Promise((resolve) => {
    const off = pool.on('failure', (e) => {
      off();
      resolve({ kind: e.kind, status: e.status });
    });
  });
}

describe('Puppeteer with Firefox: proxy credentials through a relay per proxy', () => {
  let browser: Browser;
  let farm: ProxyFarm;
  let socks: Socks5Server;
  const open: Array<{ close(): Promise<unknown> }> = [];
  beforeAll(async () => {
    [browser, farm, socks] = await Promise.all([
      launchPuppeteerFirefox(),
      ProxyFarm.start({
        proxies: [{ name: 'auth', mode: 'good', credentials: { username: PROXY_USER, password: PROXY_PASS } }],
        gateways: [{}],
      }),
      Socks5Server.start(new FarmRegistry()),
    ]);
  });
  afterEach(async () => {
    for (const thing of open.splice(0).reverse()) await thing.close();
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all([farm?.close(), socks?.close()]);
  });

  it('control: Firefox itself sends a second context the first context’s credentials for the same proxy', async () => {
    const gateway = farm.gateway;
    const server = `127.0.0.1:${gateway.port}`;
    const tokens = ['controlaa', 'controlbb'];
    for (const [i, token] of tokens.entries()) {
      const context = await browser.createBrowserContext({ proxyServer: server });
      open.push(context);
      const page = await context.newPage();
      await page.authenticate({ username: `customer-acme-sessid-${token}`, password: 'secret' });
      await page.goto(farm.site.url(`/page/${i}`, 'control.test'));
    }
    const pages = gateway.log.filter((r) => r.request.includes('control.test') && r.request.includes('/page/'));
    expect(pages).toHaveLength(2);
    expect(pages.map((r) => r.token)).toEqual(['controlaa', 'controlaa']); // the leak the relays exist for
  });

  it('two contexts on one gateway reach it with two different session usernames, each its own every time', async () => {
    const gateway = farm.gateway;
    const pool = new ProxyPool({ proxies: [gateway.url()], gateway: { sessions: 2 } });
    const pooled = withProxyPool(browser, pool, { navigationTimeoutMs: 15_000 });
    open.push(pool, pooled);
    const [a, b] = await Promise.all([
      pooled.newContext({}, { target: 'http://a.test/', sticky: 'a' }),
      pooled.newContext({}, { target: 'http://b.test/', sticky: 'b' }),
    ]);
    const [pageA, pageB] = await Promise.all([a.newPage(), b.newPage()]);
    for (let round = 0; round < 2; round++) {
      // Interleaved, and at once: whichever authenticated first must not lend the other its username.
      await Promise.all([pageA.goto(farm.site.url(`/page/${round}`, 'a.test')), pageB.goto(farm.site.url(`/page/${round}`, 'b.test'))]);
    }
    const tokensOf = (host: string) => new Set(gateway.log.filter((r) => r.request.includes(`${host}:`)).map((r) => r.token));
    const [tokenA, tokenB] = [tokensOf('a.test'), tokensOf('b.test')];
    expect(tokenA.size).toBe(1);
    expect(tokenB.size).toBe(1);
    expect([...tokenA][0]).not.toBe([...tokenB][0]);
    // Each context is on the session it was leased, and each session has its relay.
    const [idA, idB] = [proxyOf(a)!.id, proxyOf(b)!.id];
    expect(idA).not.toBe(idB);
    expect(new Set(pooled.relays.map((r) => r.proxyId))).toEqual(new Set([idA, idB]));
    expect(new Set(pooled.relays.map((r) => r.server)).size).toBe(2);
    expect(pooled.relays.every((r) => /^http:\/\/127\.0\.0\.1:\d+$/.test(r.server))).toBe(true);
    await Promise.all([a.close(), b.close()]);
  });

  it('never lets a site that asks for Basic auth receive the proxy’s password', async () => {
    const pool = new ProxyPool({ proxies: [farm.proxy('auth').url] });
    const pooled = withProxyPool(browser, pool, { navigationTimeoutMs: 15_000 });
    open.push(pool, pooled);
    const context = await pooled.newContext({}, { target: 'http://members.test/' });
    const page = await context.newPage();
    const first = await page.goto(farm.site.url('/page/1', 'members.test'));
    expect(first?.status()).toBe(200); // through the proxy, with its credentials (the relay's)
    // The site's challenge: Firefox waits on a dialog nobody answers; the adapter tells the site's 401 at once.
    const verdict = nextFailure(pool);
    const challenged = page.goto(farm.site.url('/auth', 'members.test'), { timeout: 15_000 }).catch(() => undefined);
    expect(await verdict).toEqual({ kind: 'blocked', status: 401 });
    await context.close();
    await challenged;
    const toSite = farm.site.seen.filter((r) => r.host === 'members.test');
    expect(toSite.map((r) => r.path)).toEqual(expect.arrayContaining(['/page/1', '/auth']));
    const leaked = toSite.filter(
      (r) =>
        r.authorization &&
        Buffer.from(r.authorization.replace(/^Basic /, ''), 'base64')
          .toString()
          .includes(PROXY_PASS),
    );
    expect(leaked).toEqual([]);
  });

  it('tells refused credentials apart (http and https), and never shows the password in logs, errors or relays', async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: 'debug' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    const wrong = farm.proxy('auth').url.replace(encodeURIComponent(PROXY_PASS), 'Wrong-Secret-0815');
    const errors: string[] = [];
    const relays: string[] = [];
    for (const scheme of ['http', 'https'] as const) {
      // A pool each: refused credentials open the proxy's breaker for half an hour.
      const pool = new ProxyPool({ proxies: [wrong], logger, retry: { retries: 0 } });
      const pooled = withProxyPool(browser, pool, { navigationTimeoutMs: 15_000, preflight: false });
      open.push(pool, pooled);
      // The farm's one site speaks http; a CONNECT to it is refused before any TLS, which is all this needs.
      const url = farm.site.url('/page/1', `wrong-${scheme}.test`).replace(/^http:/, `${scheme}:`);
      const verdict = nextFailure(pool);
      await pooled
        .run(async ({ page }) => page.goto(url), { target: url })
        .catch((error: Error) => errors.push(`${error.message} ${String(error.cause)}`));
      expect(await verdict, scheme).toMatchObject({ kind: 'proxy_auth' });
      relays.push(JSON.stringify(pooled.relays), JSON.stringify(pool.snapshot()));
    }
    expect(errors).toHaveLength(2);
    const everything = [...lines, ...errors, ...relays].join('\n');
    expect(everything).not.toContain('Wrong-Secret-0815');
  });

  it('goes through a SOCKS5 proxy (which Firefox is given per context only as HTTP) by a relay, closed with the pool', async () => {
    const pool = new ProxyPool({ proxies: [socks.url] });
    const pooled = withProxyPool(browser, pool, { navigationTimeoutMs: 15_000 });
    open.push(pooled);
    const url = farm.site.url('/page/5', 'socks.test');
    const title = await pooled.run(
      async ({ page }) => {
        await page.goto(url);
        return page.title();
      },
      { target: url },
    );
    expect(title).toBe('Page 5');
    expect(socks.requests).toBeGreaterThan(0);
    const [relay] = pooled.relays;
    expect(relay?.proxyId).toBe(socks.id);
    const port = Number(new URL(relay!.server).port);
    await pool.close();
    expect(await accepts(port)).toBe(false);
    expect(pooled.relays).toEqual([]);
  });
});
