import { ProxyPool } from '@proxy-pool/core';
import { withProxyPool } from '@proxy-pool/puppeteer';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchPuppeteer } from '../src/browsers.js';
import { ProxyFarm } from '../src/farm/index.js';

const PROXY_USER = 'proxy-user';
const PROXY_PASS = 'proxy-secret-pass';
const leaked = (authorization: string | undefined) =>
  authorization !== undefined &&
  Buffer.from(authorization.replace(/^Basic /, ''), 'base64')
    .toString()
    .includes(PROXY_PASS);

describe.each(['newest', 'lowest'] as const)('Puppeteer (%s): proxy credentials', (version) => {
  let browser: Browser;
  let farm: ProxyFarm;
  beforeAll(async () => {
    browser = await launchPuppeteer(version);
    farm = await ProxyFarm.start({
      proxies: [{ name: 'auth', mode: 'good', credentials: { username: PROXY_USER, password: PROXY_PASS } }],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await farm?.close();
  });

  it('never sends the proxy’s credentials to a site that asks for Basic auth', async () => {
    const pool = new ProxyPool({ proxies: farm.urls });
    const pooled = withProxyPool(browser, pool);
    const context = await pooled.newContext();
    const page = await context.newPage();
    const first = await page.goto(farm.site.url('/page/1', 'members.test'));
    expect(first?.status()).toBe(200); // the proxy's challenge was answered
    const response = await page.goto(farm.site.url('/auth', 'members.test'));
    expect(response?.status()).toBe(401); // the site's challenge was not
    await context.close();
    const toSite = farm.site.seen.filter((r) => r.host === 'members.test');
    expect(toSite.length).toBeGreaterThanOrEqual(2);
    expect(toSite.some((r) => leaked(r.authorization))).toBe(false);
    await pool.close();
  });

  it('answers the proxy’s challenge on pages the site opens (window.open)', async () => {
    const pool = new ProxyPool({ proxies: farm.urls });
    const pooled = withProxyPool(browser, pool);
    const context = await pooled.newContext();
    const page = await context.newPage();
    await page.goto(farm.site.url('/page/1', 'opener.test'));
    const popupUrl = farm.site.url('/page/77', 'popup.test');
    const popupTarget = context.waitForTarget((t) => t.url() === popupUrl);
    await page.evaluate((url) => window.open(url), popupUrl);
    const popup = await (await popupTarget).page();
    await popup!.waitForFunction(() => document.title === 'Page 77', { timeout: 10_000 });
    expect(await popup!.title()).toBe('Page 77');
    await context.close();
    expect(pool.getMetrics(farm.proxy('auth').id)!.failuresByKind).toEqual({});
    await pool.close();
  });
});
