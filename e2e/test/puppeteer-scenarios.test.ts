import { withProxyPool } from '@proxy-pool/puppeteer';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchPuppeteer } from '../src/browsers.js';
import { expectedReports, scenarioBed } from '../src/scenario-harness.js';
import { SCENARIOS } from '../src/scenarios.js';

// The same scenarios as Playwright's, on the same farm, with the newest Puppeteer this Node.js
// runs and the lowest version the adapter supports.
describe.each(['newest', 'lowest'] as const)('Puppeteer (%s): every failure kind is classified and reported once', (version) => {
  let browser: Browser;
  let bed: Awaited<ReturnType<typeof scenarioBed>>;
  beforeAll(async () => {
    [browser, bed] = await Promise.all([launchPuppeteer(version), scenarioBed('puppeteer')]);
  });
  afterAll(async () => {
    await browser?.close();
    await bed?.farm.close();
  });

  it.each(SCENARIOS.map((s) => [s.name, s] as const))('%s', async (_name, scenario) => {
    const result = await bed.run(scenario, async (pool, url, waitForReport) => {
      const pooled = withProxyPool(browser, pool, { navigationTimeoutMs: 4_000 }) // a refused connection on a loaded machine can take over 2 s to be told;
      const context = await pooled.newContext({}, { target: url });
      const page = await context.newPage();
      await page.goto(url, { timeout: 8_000 }).catch(() => undefined);
      await waitForReport();
      await context.close();
      expect(pooled.openContexts).toBe(0);
    });
    const expected = expectedReports(result.expected, scenario.status);
    expect(result.reports.map((r) => ({ ...r, status: scenario.status === undefined ? undefined : r.status }))).toEqual(
      expected.map((r) => ({ ...r, status: scenario.status === undefined ? undefined : r.status })),
    );
  });
});
