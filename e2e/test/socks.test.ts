import { ProxyPool } from '@proxy-pool/core';
import { withProxyPool as withPlaywright } from '@proxy-pool/playwright';
import { withProxyPool as withPuppeteer } from '@proxy-pool/puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchPlaywright, launchPuppeteer } from '../src/browsers.js';
import { ProxyFarm, Socks5Server } from '../src/farm/index.js';

// SOCKS5 for real: Chromium through a local SOCKS5 proxy with both adapters, and health probes through it.
describe('SOCKS5 proxies', () => {
  let farm: ProxyFarm;
  let socks: Socks5Server;
  beforeAll(async () => {
    farm = await ProxyFarm.start({ proxies: [], sites: [{}, { https: true }] });
    socks = await Socks5Server.start(farm.registry, 'socks-1');
  });
  afterAll(async () => {
    await socks?.close();
    await farm?.close();
  });

  it('carries Playwright navigations (http and https) and reports them', async () => {
    const browser = await launchPlaywright();
    const pool = new ProxyPool({ proxies: [socks.url] });
    const pooled = withPlaywright(browser, pool);
    for (const site of farm.sites) {
      const url = site.url('/page/5', 'socks.test');
      const title = await pooled.run(async ({ page }) => (await page.goto(url)) && page.title(), {
        target: url,
        contextOptions: { ignoreHTTPSErrors: true },
      });
      expect(title).toBe('Page 5');
    }
    expect(farm.site.seen.at(-1)?.proxy).toBe('socks-1');
    expect(pool.getMetrics(socks.id)!.successfulRequests).toBe(2);
    await browser.close();
    await pool.close();
  });

  it('carries Puppeteer navigations', async () => {
    const browser = await launchPuppeteer('newest');
    const pool = new ProxyPool({ proxies: [socks.url] });
    const pooled = withPuppeteer(browser, pool);
    const url = farm.site.url('/page/6', 'socks.test');
    expect(await pooled.run(async ({ page }) => (await page.goto(url)) && page.title(), { target: url })).toBe('Page 6');
    await browser.close();
    await pool.close();
  });

  it('is probed by health checks through the socks library, http and https', async () => {
    const pool = new ProxyPool({ proxies: [socks.url, 'socks5://127.0.0.1:1'] });
    const http = await pool.checkHealth({ url: farm.site.url('/page/1', 'probe.test'), timeoutMs: 2_000 });
    expect(Object.fromEntries(http.map((r) => [r.proxy.id, r.outcome.ok]))).toEqual({ [socks.id]: true, 'socks5://127.0.0.1:1': false });
    const https = await pool.checkHealth({ url: farm.sites[1]!.url('/page/1', 'probe.test'), timeoutMs: 2_000, rejectUnauthorized: false });
    expect(https.find((r) => r.proxy.id === socks.id)!.outcome.ok).toBe(true);
    await pool.close();
  });
});
