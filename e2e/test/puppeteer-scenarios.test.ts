import { withProxyPool } from '@proxy-pool/puppeteer';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PuppeteerBrowser, launchPuppeteerBrowser } from '../src/browsers.js';
import { type Driver, expectedReports, scenarioBed } from '../src/scenario-harness.js';
import { SCENARIOS } from '../src/scenarios.js';

// The same scenarios as Playwright's, on the same farm, with the newest Puppeteer this Node.js
// runs and the lowest version the adapter supports (Chromium), and with Firefox (newest
// Puppeteer, over WebDriver BiDi). One browser per suite, scenarios one at a time.
describe.each(['newest', 'lowest', 'firefox'] as const)(
  'Puppeteer (%s): every failure kind is classified and reported once',
  (which: PuppeteerBrowser) => {
    let browser: Browser;
    let bed: Awaited<ReturnType<typeof scenarioBed>>;
    beforeAll(async () => {
      [browser, bed] = await Promise.all([launchPuppeteerBrowser(which), scenarioBed(which === 'firefox' ? 'firefox' : 'puppeteer')]);
    });
    afterAll(async () => {
      await browser?.close();
      await bed?.farm.close();
    });

    it.each(SCENARIOS.map((s) => [s.name, s] as const))('%s', async (_name, scenario) => {
      // A refusal or a reset can take seconds to be told on a loaded machine: only the scenarios
      // that expect a timeout get the short navigation timeout (the others would turn into one).
      const navigationTimeoutMs = scenario.expected === 'timeout' ? 4_000 : 12_000;
      const driver = which === 'firefox' ? firefoxDriver(browser, navigationTimeoutMs) : chromiumDriver(browser, navigationTimeoutMs);
      const shown = (r: { status?: number | undefined }) => ({ ...r, status: scenario.status === undefined ? undefined : r.status });
      // (Under load, Puppeteer 22 emitted a refused proxy's requestfailed before its request event,
      // and the failure went unreported: the adapter follows either order now.)
      const result = await bed.run(scenario, driver);
      const expected = expectedReports(result.expected, scenario.status);
      expect(result.reports.map(shown)).toEqual(expected.map(shown));
    });
  },
);

function chromiumDriver(browser: Browser, navigationTimeoutMs: number): Driver {
  return async (pool, url, waitForReport) => {
    const pooled = withProxyPool(browser, pool, { navigationTimeoutMs });
    const context = await pooled.newContext({}, { target: url });
    const page = await context.newPage();
    await page.goto(url, { timeout: 2 * navigationTimeoutMs }).catch(() => undefined);
    await waitForReport();
    await context.close();
    expect(pooled.openContexts).toBe(0);
  };
}

/**
 * Firefox's navigation can outlive its verdict: a 401 or 407 leaves it waiting on a
 * credentials dialog, a download never ends it. The report is what is checked, so the driver
 * waits for the report while the navigation runs, then closes the context (which ends it).
 */
function firefoxDriver(browser: Browser, navigationTimeoutMs: number): Driver {
  return async (pool, url, waitForReport) => {
    const pooled = withProxyPool(browser, pool, { navigationTimeoutMs });
    const context = await pooled.newContext({}, { target: url });
    const page = await context.newPage();
    const navigation = page.goto(url, { timeout: 2 * navigationTimeoutMs }).catch(() => undefined);
    await waitForReport();
    await context.close();
    await navigation;
    expect(pooled.openContexts).toBe(0);
    await pooled.close(); // its relays (proxies with credentials): the pool closes them too, this says so
    expect(pooled.relays).toEqual([]);
  };
}
