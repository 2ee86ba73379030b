import { ProxyPool } from '@proxy-pool/core';
import { withProxyPool } from '@proxy-pool/playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchPlaywright } from '../src/browsers.js';
import { ProxyFarm, Socks5Server } from '../src/farm/index.js';

// The pre-flight check looks where the job's pages are, not only where the `target` points:
// a target on another port than its pages, or a bare site, must not fail working proxies.
// Real Chromium through real local proxies; the farm's sites listen on free ports, never 443 or 80.
describe('pre-flight checks and the origin a job navigates to', () => {
  let farm: ProxyFarm;
  let socks: Socks5Server;
  let browser: Awaited<ReturnType<typeof launchPlaywright>>;
  beforeAll(async () => {
    farm = await ProxyFarm.start({
      proxies: [
        { name: 'a', mode: 'good' },
        { name: 'b', mode: 'good' },
      ],
      sites: [{}, { https: true }],
    });
    socks = await Socks5Server.start(farm.registry, 'socks-origin');
    browser = await launchPlaywright();
  });
  afterAll(async () => {
    await browser?.close();
    await socks?.close();
    await farm?.close();
  });

  /** Two jobs for `target` whose pages are at `url`: both fetch it, and no proxy is charged. */
  async function twoJobs(proxies: string[], target: string, url: string): Promise<void> {
    const pool = new ProxyPool({ proxies, retry: { retries: 2, minDelayMs: 10 }, maxWaitMs: 1_000 });
    const pooled = withProxyPool(browser, pool, { navigationTimeoutMs: 5_000 });
    try {
      for (let job = 0; job < 2; job++) {
        const status = await pooled.run(async ({ page }) => (await page.goto(url))?.status(), {
          target,
          contextOptions: { ignoreHTTPSErrors: true },
        });
        expect(status, `job ${job + 1}`).toBe(200);
      }
      for (const m of pool.snapshot().proxies) {
        expect(m.failedRequests, m.proxy).toBe(0);
        expect(m.circuitState).toBe('closed');
      }
    } finally {
      await pooled.close();
      await pool.close();
    }
  }

  it('an https target named without the port its pages use (CONNECT to 443 fails there) does not fail HTTP proxies', async () => {
    const url = farm.sites[1]!.url('/page/1', 'secure.test');
    await twoJobs(farm.urls, 'https://secure.test/', url);
  });

  it('a bare site as the target does not fail a SOCKS proxy (its guessed port refuses: the far side)', async () => {
    const url = farm.site.url('/page/1', 'plain.test');
    await twoJobs([socks.url], 'plain.test', url);
  });
});
