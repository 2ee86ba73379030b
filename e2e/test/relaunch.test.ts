import { ProxyPool } from '@proxy-pool/core';
import * as playwrightAdapter from '@proxy-pool/playwright';
import * as puppeteerAdapter from '@proxy-pool/puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchPlaywright, launchPuppeteer } from '../src/browsers.js';
import { ProxyFarm } from '../src/farm/index.js';

let farm: ProxyFarm;
beforeAll(async () => {
  farm = await ProxyFarm.start({
    proxies: [
      { name: 'a', mode: 'good' },
      { name: 'b', mode: 'good' },
    ],
  });
});
afterAll(() => farm.close());

describe('Playwright: crashes and launch-per-proxy', () => {
  it('relaunches a crashed browser (with a launch option) and never blames a proxy for it', async () => {
    const pool = new ProxyPool({ proxies: farm.urls, retry: { minDelayMs: 10 } });
    const launched: import('playwright-core').Browser[] = [];
    const launch = async () => {
      const b = await launchPlaywright();
      launched.push(b);
      return b;
    };
    const pooled = playwrightAdapter.withProxyPool(await launch(), pool, { launch });
    const url = farm.site.url('/page/3', 'crash.test');
    const title = await pooled.run(
      async ({ page, attempt }) => {
        if (attempt === 1) await launched[0]!.close(); // the browser goes away mid-job
        await page.goto(url);
        return page.title();
      },
      { target: url },
    );
    expect(title).toBe('Page 3');
    expect(launched).toHaveLength(2);
    expect(pool.snapshot().totals.failures).toBe(0);
    await launched[1]!.close();
    await pool.close();
  });

  it('launches a browser per proxy in launch-per-proxy mode, and closes it with the context', async () => {
    const pool = new ProxyPool({ proxies: farm.urls, rotation: 'round-robin' });
    const browsers: import('playwright-core').Browser[] = [];
    const pooled = playwrightAdapter.withProxyPool(undefined, pool, {
      mode: 'launch-per-proxy',
      launch: async (options) => {
        const b = await launchPlaywright(options);
        browsers.push(b);
        return b;
      },
    });
    const via: string[] = [];
    for (let i = 0; i < 2; i++) {
      const url = farm.site.url(`/page/${i}`, 'launch.test');
      await pooled.run(async ({ page }) => page.goto(url), { target: url });
      via.push(farm.site.seen.at(-1)!.proxy!);
    }
    expect(new Set(via)).toEqual(new Set(['a', 'b']));
    expect(browsers).toHaveLength(2);
    expect(browsers.every((b) => !b.isConnected())).toBe(true);
    await pool.close();
  });
});

describe('Puppeteer: crashes and launch-per-proxy', () => {
  it('relaunches a crashed browser and never blames a proxy for it', async () => {
    const pool = new ProxyPool({ proxies: farm.urls, retry: { minDelayMs: 10 } });
    const launched: import('puppeteer-core').Browser[] = [];
    const launch = async () => {
      const b = await launchPuppeteer('newest');
      launched.push(b);
      return b;
    };
    const pooled = puppeteerAdapter.withProxyPool(await launch(), pool, { launch });
    const url = farm.site.url('/page/4', 'crash.test');
    const title = await pooled.run(
      async ({ page, attempt }) => {
        if (attempt === 1) await launched[0]!.close();
        await page.goto(url);
        return page.title();
      },
      { target: url },
    );
    expect(title).toBe('Page 4');
    expect(launched).toHaveLength(2);
    expect(pool.snapshot().totals.failures).toBe(0);
    await launched[1]!.close();
    await pool.close();
  });

  it('launches a browser per proxy with --proxy-server', async () => {
    const pool = new ProxyPool({ proxies: farm.urls, rotation: 'round-robin' });
    const browsers: import('puppeteer-core').Browser[] = [];
    const pooled = puppeteerAdapter.withProxyPool(undefined, pool, {
      mode: 'launch-per-proxy',
      launch: async ({ args }) => {
        const b = await launchPuppeteer('newest', args);
        browsers.push(b);
        return b;
      },
    });
    const via: string[] = [];
    for (let i = 0; i < 2; i++) {
      const url = farm.site.url(`/page/${i}`, 'launch.test');
      await pooled.run(async ({ page }) => page.goto(url), { target: url });
      via.push(farm.site.seen.at(-1)!.proxy!);
    }
    expect(new Set(via)).toEqual(new Set(['a', 'b']));
    expect(browsers.every((b) => !b.connected)).toBe(true);
    await pool.close();
  });
});
