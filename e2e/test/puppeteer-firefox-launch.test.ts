import { ProxyPool } from '@proxy-pool/core';
import { type LaunchOptions, withProxyPool } from '@proxy-pool/puppeteer';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchPuppeteerFirefox } from '../src/browsers.js';
import { ProxyFarm } from '../src/farm/index.js';

// Firefox launched by the adapter: relaunched after a crash, and one browser per lease in
// launch-per-proxy mode (the proxy on its context: Firefox has no --proxy-server), with loopback
// through the proxy when `bypass` asks for it (a preference the adapter hands to `launch`).
let farm: ProxyFarm;
beforeAll(async () => {
  farm = await ProxyFarm.start({
    proxies: [
      { name: 'a', mode: 'good' },
      { name: 'b', mode: 'good' },
    ],
  });
});
afterAll(() => farm?.close());

describe('Puppeteer with Firefox: crashes and launch-per-proxy', () => {
  it('relaunches a crashed Firefox and never blames a proxy for it', async () => {
    const pool = new ProxyPool({ proxies: farm.urls, retry: { minDelayMs: 10 } });
    const launched: Browser[] = [];
    const launch = async (options?: LaunchOptions) => {
      const browser = await launchPuppeteerFirefox(options);
      launched.push(browser);
      return browser;
    };
    try {
      const pooled = withProxyPool(await launch(), pool, { launch });
      const url = farm.site.url('/page/4', 'crash.test');
      const title = await pooled.run(
        async ({ page, attempt }) => {
          if (attempt === 1) await launched[0]!.close(); // the browser goes away mid-job
          await page.goto(url);
          return page.title();
        },
        { target: url },
      );
      expect(title).toBe('Page 4');
      expect(launched).toHaveLength(2);
      expect(pool.snapshot().totals.failures).toBe(0);
    } finally {
      await Promise.all(launched.map((b) => b.close().catch(() => undefined)));
      await pool.close();
    }
  });

  it('launches a Firefox per lease, each on its proxy, loopback included, and closes it with the context', async () => {
    const pool = new ProxyPool({ proxies: farm.urls, rotation: 'round-robin' });
    const browsers: Browser[] = [];
    const given: LaunchOptions[] = [];
    const pooled = withProxyPool(undefined, pool, {
      mode: 'launch-per-proxy',
      bypass: ['<-loopback>'],
      launch: async (options) => {
        given.push(options);
        const browser = await launchPuppeteerFirefox(options);
        browsers.push(browser);
        return browser;
      },
    });
    try {
      const via: string[] = [];
      for (let i = 0; i < 2; i++) {
        // 127.0.0.1 itself: Firefox sends it to the proxy only with the preference the adapter passed.
        const url = `http://127.0.0.1:${farm.site.port}/page/${i}`;
        await pooled.run(async ({ page }) => page.goto(url), { target: url });
        via.push(farm.site.seen.findLast((s) => s.path === `/page/${i}`)!.proxy!);
      }
      expect(new Set(via)).toEqual(new Set(['a', 'b']));
      expect(browsers).toHaveLength(2);
      expect(given.every((o) => o.extraPrefsFirefox['network.proxy.allow_hijacking_localhost'] === true)).toBe(true);
      // Chromium's flag goes to a launch until the adapter knows the browser is Firefox.
      expect(given.map((o) => o.args.length)).toEqual([1, 0]);
      expect(browsers.every((b) => !b.connected)).toBe(true);
      expect(pool.snapshot().totals.failures).toBe(0);
    } finally {
      await Promise.all(browsers.map((b) => b.close().catch(() => undefined)));
      await pool.close();
    }
  });
});
