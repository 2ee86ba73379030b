import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { type FailureKind, ProxyPool } from '@proxy-pool/core';
import * as playwrightAdapter from '@proxy-pool/playwright';
import * as puppeteerAdapter from '@proxy-pool/puppeteer';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { launchPlaywright, launchPuppeteer } from '../src/browsers.js';
import { FarmRegistry, Socks5Server, TargetSite } from '../src/farm/index.js';
import { listenOnFreePort } from '../src/farm/ports.js';
import { type ChildServer, freePort, startMicrosocks } from '../src/real-proxies/index.js';

// SOCKS5 with a username and password — which Chromium cannot do — through the adapters' local
// relay (proxy-chain), against Debian's microsocks requiring credentials: pages load, a wrong
// password is proxy_auth, a closed upstream proxy_unreachable, the password reaches neither the
// target nor the logs, and the relay goes away with the proxy and with the pool.

const USER = 'socks-user';
const PASSWORD = 'Socks-Secret-31337';
const NAV_TIMEOUT_MS = 8_000;

// pino is core's dependency (the pool's logger type); the test takes the same copy.
type PoolLogger = NonNullable<NonNullable<ConstructorParameters<typeof ProxyPool>[0]>['logger']>;
const pino = createRequire(join(dirname(fileURLToPath(import.meta.url)), '../../packages/core/package.json'))('pino') as (
  options: object,
  stream: Writable,
) => PoolLogger;

interface AnyPage {
  goto(url: string, options?: { timeout?: number }): Promise<{ status(): number } | null>;
  title(): Promise<string>;
}
interface AnyContext {
  newPage(): Promise<AnyPage>;
  close(): Promise<void>;
}
interface AnyPooled {
  newContext(contextOptions?: object, options?: { target?: string }): Promise<AnyContext>;
  run<T>(task: (c: { page: AnyPage }) => Promise<T>, options?: { target?: string; retries?: number; contextOptions?: object }): Promise<T>;
  close(): Promise<void>;
  readonly relays: Array<{ proxyId: string; server: string }>;
}
interface Adapter {
  name: string;
  launch(): Promise<{ close(): Promise<void> }>;
  wrap(browser: unknown, pool: ProxyPool): AnyPooled;
  contextOptions: object;
}

const ADAPTERS: Adapter[] = [
  {
    name: 'playwright',
    launch: () => launchPlaywright(),
    wrap: (browser, pool) =>
      playwrightAdapter.withProxyPool(browser as never, pool, { navigationTimeoutMs: NAV_TIMEOUT_MS }) as unknown as AnyPooled,
    contextOptions: { ignoreHTTPSErrors: true },
  },
  {
    name: 'puppeteer',
    launch: () => launchPuppeteer('newest'),
    wrap: (browser, pool) =>
      puppeteerAdapter.withProxyPool(browser as never, pool, {
        navigationTimeoutMs: NAV_TIMEOUT_MS,
        bypass: ['<-loopback>'],
      }) as unknown as AnyPooled,
    contextOptions: {},
  },
];

let socks: ChildServer;
let https: TargetSite;
let closedPort: number;
/** A plain http target that keeps every request's raw header lines. */
let http: Server;
let httpPort = 0;
const seenHeaders: string[][] = [];

function proxyUrl(password = PASSWORD, port = socks.port): string {
  return `socks5://${USER}:${password}@127.0.0.1:${port}`;
}

/** Whether 127.0.0.1:port accepts a connection now. */
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

function portOf(server: string): number {
  return Number(new URL(server).port);
}

beforeAll(async () => {
  http = createServer((req: IncomingMessage, res) => {
    seenHeaders.push(req.rawHeaders);
    const page = /\/page\/(\d+)/.exec(req.url ?? '')?.[1] ?? '0';
    const body = `<!doctype html><title>Page ${page}</title><p>through the relay</p>`;
    res.writeHead(200, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  [socks, https, closedPort, httpPort] = await Promise.all([
    startMicrosocks({ auth: { username: USER, password: PASSWORD } }),
    TargetSite.start({ registry: new FarmRegistry(), https: true }),
    freePort(),
    listenOnFreePort(http),
  ]);
});

afterAll(async () => {
  await socks?.stop();
  await https?.close();
  http?.closeAllConnections();
  await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
});

describe.each(ADAPTERS)('$name: SOCKS5 with credentials through a local relay', (adapter) => {
  let browser: { close(): Promise<void> };
  beforeAll(async () => {
    browser = await adapter.launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('loads http and https pages, shares one relay, and leaks the password to neither the target nor the logs', async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: 'trace' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const pool = new ProxyPool({ proxies: [proxyUrl()], logger });
    const pooled = adapter.wrap(browser, pool);
    const before = seenHeaders.length;
    const urls = [`http://127.0.0.1:${httpPort}/page/1`, `https://127.0.0.1:${https.port}/page/2`, `http://127.0.0.1:${httpPort}/page/3`];
    const titles = await Promise.all(
      urls.map((url) =>
        pooled.run(async ({ page }) => (await page.goto(url)) && page.title(), { target: url, contextOptions: adapter.contextOptions }),
      ),
    );
    expect(titles).toEqual(['Page 1', 'Page 2', 'Page 3']);
    // a context of the adapter's own, through the same relay
    const context = await pooled.newContext(adapter.contextOptions, { target: urls[0] });
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${httpPort}/page/4`);
    expect(await page.title()).toBe('Page 4');
    expect(pooled.relays).toHaveLength(1);
    const relayPort = portOf(pooled.relays[0]!.server);
    await context.close();

    const metrics = pool.getMetrics(pool.proxies[0]!.id)!;
    expect(metrics.successfulRequests).toBe(4);
    const received = seenHeaders.slice(before);
    expect(received.length).toBeGreaterThanOrEqual(3);
    const encoded = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
    for (const headers of received) {
      const text = headers.join('\n');
      expect(text.toLowerCase()).not.toContain('proxy-authorization');
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(encoded);
    }
    await pool.close();
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('')).not.toContain(PASSWORD);
    // the pool closed: its relay too
    expect(await accepts(relayPort)).toBe(false);
    expect(pooled.relays).toEqual([]);
  });

  it('lets the SOCKS proxy resolve the site: a name only the proxy knows loads, by http and https (no DNS lookup here)', async () => {
    const registry = new FarmRegistry();
    const [site, resolving] = await Promise.all([
      TargetSite.start({ registry }),
      Socks5Server.start(registry, 'socks-auth', { username: USER, password: PASSWORD }),
    ]);
    const secure = await TargetSite.start({ registry, https: true });
    onTestFinished(async () => {
      await Promise.all([site.close(), secure.close(), resolving.close()]);
    });
    const pool = new ProxyPool({ proxies: [resolving.url] });
    onTestFinished(() => pool.close());
    const pooled = adapter.wrap(browser, pool);
    // `*.test` names resolve only inside the farm's SOCKS server: this machine's resolver does not know them.
    const urls = [site.url('/page/7', 'only-the-proxy.test'), secure.url('/page/8', 'only-the-proxy.test')];
    for (const url of urls) {
      const title = await pooled.run(async ({ page }) => (await page.goto(url)) && page.title(), {
        target: url,
        retries: 0,
        contextOptions: adapter.contextOptions,
      });
      expect(title).toMatch(/Page [78]/);
    }
    expect(resolving.requests).toBeGreaterThanOrEqual(2);
    expect(resolving.refusedLogins).toBe(0);
  });

  it('names a wrong password proxy_auth and a closed upstream proxy_unreachable, in run() and newContext()', async () => {
    const url = `http://127.0.0.1:${httpPort}/page/5`;
    const secure = `https://127.0.0.1:${https.port}/page/5`;
    // One pool per case: a proxy_auth or proxy_unreachable failure opens the proxy's breaker.
    const attempt = async (proxy: string, how: 'run' | 'newContext', target: string) => {
      const pool = new ProxyPool({ proxies: [proxy] });
      const heard = new Promise<FailureKind>((resolve) => pool.on('failure', (e) => resolve(e.kind)));
      const pooled = adapter.wrap(browser, pool);
      const job =
        how === 'run'
          ? pooled.run(async ({ page }) => page.goto(target), { target, retries: 0, contextOptions: adapter.contextOptions })
          : pooled.newContext(adapter.contextOptions, { target });
      const error = await job.then(
        () => undefined,
        (e: unknown) => String(e),
      );
      const kind = await heard;
      const relays = pooled.relays.length;
      await pool.close();
      return { proxy: proxy.replace(/:[^:@]*@/, ':***@'), how, target, kind, error, relays };
    };
    const wrong = proxyUrl('wrong-password');
    const closed = proxyUrl(PASSWORD, closedPort);
    const results = await Promise.all([
      attempt(wrong, 'run', url),
      attempt(wrong, 'run', secure),
      attempt(wrong, 'newContext', url),
      attempt(closed, 'run', secure),
      attempt(closed, 'newContext', url),
    ]);
    expect(results.map((r) => r.kind)).toEqual(['proxy_auth', 'proxy_auth', 'proxy_auth', 'proxy_unreachable', 'proxy_unreachable']);
    for (const r of results) {
      expect(r.error).toBeDefined();
      expect(r.error).not.toContain('wrong-password');
      expect(r.relays).toBe(0);
    }
  });

  it('through a running relay: a target down is the far side, an upstream that died is proxy_unreachable', async () => {
    const upstream = await startMicrosocks({ auth: { username: USER, password: PASSWORD } });
    onTestFinished(() => upstream.stop());
    const pool = new ProxyPool({ proxies: [proxyUrl(PASSWORD, upstream.port)] });
    const pooled = adapter.wrap(browser, pool);
    const heard: Array<{ kind: FailureKind | 'success'; blame?: string }> = [];
    pool.on('failure', (e) => heard.push({ kind: e.kind, blame: e.blame }));
    pool.on('success', () => heard.push({ kind: 'success' }));
    // One navigation per context, as a user's own code makes them; the relay is shared.
    const navigate = async (url: string) => {
      const count = heard.length;
      const context = await pooled.newContext(adapter.contextOptions, { target: url });
      const page = await context.newPage();
      await page.goto(url, { timeout: NAV_TIMEOUT_MS }).catch(() => undefined);
      await context.close();
      for (let i = 0; i < 100 && heard.length === count; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      return heard[count];
    };
    const up = `http://127.0.0.1:${httpPort}/page/7`;
    expect(await navigate(up)).toEqual({ kind: 'success' });
    const farSide = await Promise.all([
      navigate(`http://127.0.0.1:${closedPort}/page/7`),
      navigate(`https://127.0.0.1:${closedPort}/page/7`),
    ]);
    expect(farSide).toEqual([
      { kind: 'tunnel_failed', blame: 'ambiguous' },
      { kind: 'tunnel_failed', blame: 'ambiguous' },
    ]);
    expect(pooled.relays).toHaveLength(1);
    await upstream.stop();
    const dead = [await navigate(up), await navigate(`https://127.0.0.1:${https.port}/page/7`)];
    expect(dead.map((d) => d?.kind)).toEqual(['proxy_unreachable', 'proxy_unreachable']);
    await pool.close();
  });

  it('closes the relay when its proxy leaves the pool, and opens a new one when it is back', async () => {
    const pool = new ProxyPool({ proxies: [proxyUrl()] });
    const pooled = adapter.wrap(browser, pool);
    const url = `http://127.0.0.1:${httpPort}/page/6`;
    expect(await pooled.run(async ({ page }) => (await page.goto(url)) && page.title(), { target: url })).toBe('Page 6');
    const first = portOf(pooled.relays[0]!.server);
    expect(await accepts(first)).toBe(true);
    const removed = new Promise<void>((resolve) => pool.on('proxyRemoved', () => resolve()));
    pool.remove(pool.proxies[0]!);
    await removed;
    for (let i = 0; i < 50 && (await accepts(first)); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await accepts(first)).toBe(false);
    expect(pooled.relays).toEqual([]);
    pool.add(proxyUrl());
    expect(await pooled.run(async ({ page }) => (await page.goto(url)) && page.title(), { target: url })).toBe('Page 6');
    expect(pooled.relays).toHaveLength(1);
    // closing the pooled browser closes its relays (the pool stays open)
    const second = portOf(pooled.relays[0]!.server);
    await pooled.close();
    expect(await accepts(second)).toBe(false);
    await pool.close();
  });
});
