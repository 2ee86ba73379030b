import { type FailureKind, ProxyPool } from '@proxy-pool/core';
import * as playwrightAdapter from '@proxy-pool/playwright';
import * as puppeteerAdapter from '@proxy-pool/puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchPlaywright, launchPuppeteer } from '../src/browsers.js';
import { FarmRegistry, TargetSite } from '../src/farm/index.js';
import { closedOnPurpose } from '../src/farm/ports.js';
import { type ChildServer, NxdomainDns, freePort, startMicrosocks, startSquid, startTinyproxy } from '../src/real-proxies/index.js';

// Real proxy software from Debian's packages (Squid with and without Basic auth, tinyproxy,
// microsocks), each Chromium through both adapters: pages fetched, wrong credentials found,
// and a target that is down never blamed on the proxy. What each answered is in
// docs/real-proxies.md; REAL_PROXIES_REPORT=1 prints the table rows this run observed.

const SQUID_AUTH = { username: 'squid-user', password: 'squid-secret-7' };
const TINY_AUTH = { username: 'tiny-user', password: 'tiny-secret-7' };
const NAV_TIMEOUT_MS = 8_000;

interface AnyResponse {
  status(): number;
  headers(): Record<string, string>;
}
interface AnyPage {
  goto(url: string, options?: { timeout?: number }): Promise<AnyResponse | null>;
  title(): Promise<string>;
}
interface AnyContext {
  newPage(): Promise<AnyPage>;
  close(): Promise<void>;
}
interface AnyPooled {
  newContext(contextOptions?: object, options?: { target?: string }): Promise<AnyContext>;
  run<T>(task: (c: { page: AnyPage }) => Promise<T>, options?: { target?: string; retries?: number; contextOptions?: object }): Promise<T>;
}
interface Adapter {
  name: 'playwright' | 'puppeteer';
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

interface Observed {
  adapter: string;
  proxy: string;
  scenario: string;
  chromium: string;
  kind: FailureKind | 'success' | undefined;
  blame: string | undefined;
}
const observed: Observed[] = [];

/** Runs `jobs` at most `limit` at a time (a context is a renderer process: a 2-core machine takes a few at once). */
async function inBatches<T>(jobs: Array<() => Promise<T>>, limit = 4): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}

let dns: NxdomainDns | undefined;
let squid: ChildServer;
let squidAuth: ChildServer;
let tinyproxy: ChildServer;
let tinyproxyAuth: ChildServer;
let tinyproxy443: ChildServer;
let microsocks: ChildServer;
let http: TargetSite;
let https: TargetSite;
let closedPort: number;

/** The proxies a test goes through, as the pool takes them. */
function proxyUrls(): Record<string, string> {
  return {
    squid: `http://127.0.0.1:${squid.port}`,
    'squid-auth': `http://${SQUID_AUTH.username}:${SQUID_AUTH.password}@127.0.0.1:${squidAuth.port}`,
    tinyproxy: `http://127.0.0.1:${tinyproxy.port}`,
    microsocks: `socks5://127.0.0.1:${microsocks.port}`,
  };
}

/** Targets that are down: nothing listens on the port, or the name does not resolve (`.invalid`, RFC 6761). */
function downTargets(): Record<string, string> {
  return {
    'port closed (http)': `http://127.0.0.1:${closedPort}/page/1`,
    'port closed (https)': `https://127.0.0.1:${closedPort}/page/1`,
    'name unresolvable (http)': 'http://nope.invalid/page/1',
    'name unresolvable (https)': 'https://nope.invalid/page/1',
  };
}

beforeAll(async () => {
  const registry = new FarmRegistry();
  dns = await NxdomainDns.start();
  [squid, squidAuth, tinyproxy, tinyproxyAuth, tinyproxy443, microsocks, http, https, closedPort] = await Promise.all([
    startSquid({ dns, deny: ['denied.test'] }),
    startSquid({ dns, auth: SQUID_AUTH }),
    startTinyproxy(),
    startTinyproxy({ auth: TINY_AUTH }),
    startTinyproxy({ connectPorts: [443, 563] }), // Debian's default ConnectPort lines
    startMicrosocks(),
    TargetSite.start({ registry }),
    TargetSite.start({ registry, https: true }),
    freePort(),
  ]);
  closedOnPurpose.add(closedPort);
});

afterAll(async () => {
  await Promise.all([squid, squidAuth, tinyproxy, tinyproxyAuth, tinyproxy443, microsocks].map((s) => s?.stop()));
  await Promise.all([http?.close(), https?.close(), dns?.close()]);
  closedOnPurpose.delete(closedPort);
  if (process.env.REAL_PROXIES_REPORT) {
    const rows = observed
      .sort((a, b) => `${a.proxy}${a.scenario}${a.adapter}`.localeCompare(`${b.proxy}${b.scenario}${b.adapter}`))
      .map((o) => `| ${o.proxy} | ${o.scenario} | ${o.adapter} | ${o.chromium} | ${o.kind ?? '–'} (${o.blame ?? '–'}) |`);
    console.log(rows.join('\n'));
  }
});

describe.each(ADAPTERS)('$name through real proxy software', (adapter) => {
  let browser: { close(): Promise<void> };
  beforeAll(async () => {
    browser = await adapter.launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  /**
   * One navigation through a pool of one proxy, in a context of the adapter's own: what
   * Chromium reported, and the failure the pool heard of (kind, blame) or the success.
   */
  async function navigate(proxyName: string, proxyUrl: string, scenario: string, url: string): Promise<Observed> {
    const pool = new ProxyPool({ proxies: [proxyUrl] });
    const heard = new Promise<{ kind: FailureKind | 'success'; blame?: string }>((resolve) => {
      pool.on('failure', (e) => resolve({ kind: e.kind, blame: e.blame }));
      pool.on('success', () => resolve({ kind: 'success' }));
    });
    const pooled = adapter.wrap(browser, pool);
    const context = await pooled.newContext(adapter.contextOptions, { target: url });
    let chromium: string;
    try {
      const page = await context.newPage();
      const response = await page.goto(url, { timeout: NAV_TIMEOUT_MS });
      const h = response?.headers() ?? {};
      const label = h['x-squid-error'] ?? h['proxy-status'] ?? (h.server?.startsWith('tinyproxy') ? `Server: ${h.server}` : undefined);
      chromium = `HTTP ${response?.status()}${label ? ` (${label})` : ''}`;
    } catch (error) {
      const message = String((error as Error).message);
      chromium = /net::ERR_[A-Z_]+/.exec(message)?.[0] ?? message.split('\n')[0]!.slice(0, 80);
    }
    await context.close();
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      heard,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), 5_000);
      }),
    ]);
    clearTimeout(timer);
    await pool.close();
    const o: Observed = { adapter: adapter.name, proxy: proxyName, scenario, chromium, kind: outcome?.kind, blame: outcome?.blame };
    observed.push(o);
    return o;
  }

  it('fetches http and https pages through each of them', async () => {
    const jobs = Object.entries(proxyUrls()).flatMap(([name, url]) => [
      [name, url, 'page (http)', `http://127.0.0.1:${http.port}/page/1`, 'Page 1'],
      [name, url, 'page (https)', `https://127.0.0.1:${https.port}/page/2`, 'Page 2'],
    ]);
    const results = await inBatches(
      jobs.map(([name, proxyUrl, scenario, url, title]) => async () => {
        const pool = new ProxyPool({ proxies: [proxyUrl!] });
        const pooled = adapter.wrap(browser, pool);
        const got = await pooled.run(async ({ page }) => (await page.goto(url!)) && page.title(), {
          target: url,
          retries: 0,
          contextOptions: adapter.contextOptions,
        });
        const m = pool.getMetrics(pool.proxies[0]!.id)!;
        await pool.close();
        observed.push({ adapter: adapter.name, proxy: name!, scenario: scenario!, chromium: 'OK', kind: 'success', blame: undefined });
        return { name, scenario, ok: got === title && m.successfulRequests === 1 };
      }),
    );
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });

  it('classifies wrong credentials as proxy_auth', async () => {
    const sq = `http://${SQUID_AUTH.username}:wrong@127.0.0.1:${squidAuth.port}`;
    const none = `http://127.0.0.1:${squidAuth.port}`;
    const tiny = `http://${TINY_AUTH.username}:wrong@127.0.0.1:${tinyproxyAuth.port}`;
    const page = `http://127.0.0.1:${http.port}/page/3`;
    const secure = `https://127.0.0.1:${https.port}/page/3`;
    const results = await Promise.all([
      navigate('squid-auth', sq, 'wrong password (http)', page),
      navigate('squid-auth', sq, 'wrong password (https)', secure),
      navigate('squid-auth', none, 'no credentials (http)', page),
      navigate('squid-auth', none, 'no credentials (https)', secure),
      navigate('tinyproxy-auth', tiny, 'wrong password (http)', page),
    ]);
    expect(results.filter((r) => r.kind !== 'proxy_auth')).toEqual([]);
    // tinyproxy 1.11 challenges a request without credentials with 407, but refuses wrong ones with
    // 401 + WWW-Authenticate; the right ones work. Over CONNECT, Chromium only says the tunnel failed.
    const tinyRight = `http://${TINY_AUTH.username}:${TINY_AUTH.password}@127.0.0.1:${tinyproxyAuth.port}`;
    const [right, tunnel] = await Promise.all([
      navigate('tinyproxy-auth', tinyRight, 'right password (http)', page),
      navigate('tinyproxy-auth', tiny, 'wrong password (https)', secure),
    ]);
    expect(right.kind).toBe('success');
    expect(tunnel.kind).not.toBe('success');
  });

  it("classifies the target down behind each proxy as not the proxy's fault", async () => {
    // squid-auth is the same Squid behind a password (its down targets answered as squid's: docs/real-proxies.md)
    const proxies = Object.entries(proxyUrls()).filter(([name]) => name !== 'squid-auth');
    const cases = proxies.flatMap(([name, proxyUrl]) =>
      Object.entries(downTargets()).map(
        ([scenario, url]) =>
          () =>
            navigate(name, proxyUrl, scenario, url),
      ),
    );
    const results = await inBatches(cases);
    const blamed = results.filter((r) => r.kind === undefined || r.kind === 'success' || r.blame === 'proxy');
    expect(blamed).toEqual([]);
  });

  it("treats Squid's access denial as Squid's own error", async () => {
    const url = `http://denied.test:${http.port}/page/1`;
    const result = await navigate('squid', proxyUrls().squid!, 'ACL denies the site (http)', url);
    expect(result).toMatchObject({ kind: 'proxy_error', blame: 'proxy' });
  });

  it('reads tinyproxy refusing CONNECT to a port it does not allow: hidden from a context, named by the pre-flight check', async () => {
    const url = `https://127.0.0.1:${https.port}/page/4`;
    const proxy = `http://127.0.0.1:${tinyproxy443.port}`;
    expect(await navigate('tinyproxy (ConnectPort 443 563)', proxy, 'CONNECT to another port (https)', url)).toMatchObject({
      chromium: 'net::ERR_TUNNEL_CONNECTION_FAILED',
      kind: 'tunnel_failed',
    });
    const pool = new ProxyPool({ proxies: [proxy] });
    const kinds: FailureKind[] = [];
    pool.on('failure', (e) => kinds.push(e.kind));
    const pooled = adapter.wrap(browser, pool);
    await expect(
      pooled.run(async ({ page }) => page.goto(url), { target: url, retries: 0, contextOptions: adapter.contextOptions }),
    ).rejects.toThrow(/proxy_error/);
    expect(kinds).toEqual(['proxy_error']);
    await pool.close();
  });

  it('keeps the breakers of a pool of real proxies closed while a site is down', async () => {
    const urls = proxyUrls();
    const pool = new ProxyPool({
      proxies: Object.values(urls),
      breaker: { failureThreshold: 2 },
      // short pauses: the test is about who is blamed, not how long a down site is waited for
      retry: { retries: 2, minDelayMs: 20, maxDelayMs: 100 },
      targetHealth: { backoffMs: 50, maxBackoffMs: 100 },
    });
    const pooled = adapter.wrap(browser, pool);
    const opened: string[] = [];
    pool.on('breakerOpen', (e) => opened.push(`${e.proxy.id}: ${e.reason}`));
    const kinds = new Map<string, number>();
    pool.on('failure', (e) => kinds.set(`${e.kind}/${e.blame}`, (kinds.get(`${e.kind}/${e.blame}`) ?? 0) + 1));
    const jobs = Object.values(downTargets()).map((url) =>
      pooled
        .run(async ({ page }) => page.goto(url, { timeout: NAV_TIMEOUT_MS }), {
          target: url,
          retries: 2,
          contextOptions: adapter.contextOptions,
        })
        .then(
          (r) => `succeeded: ${url} answered ${(r as AnyResponse | null)?.status()}`,
          () => 'failed',
        ),
    );
    expect(await Promise.all(jobs)).toEqual(jobs.map(() => 'failed'));
    expect([...kinds.keys()].filter((k) => k.endsWith('/proxy'))).toEqual([]);
    expect([...kinds.values()].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(jobs.length);
    expect(opened).toEqual([]);
    // and the same proxies still carry a page from a site that is up
    const url = `http://127.0.0.1:${http.port}/page/9`;
    expect(await pooled.run(async ({ page }) => (await page.goto(url)) && page.title(), { target: url })).toBe('Page 9');
    await pool.close();
  });
});
