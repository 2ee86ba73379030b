import { withProxyPool } from '@proxy-pool/playwright';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchPlaywright } from '../src/browsers.js';
import { expectedReports, scenarioBed } from '../src/scenario-harness.js';
import { SCENARIOS } from '../src/scenarios.js';

// Each failure scenario, through real Chromium and a real local proxy: is it classified right?
describe('Playwright: every failure kind is classified and reported once', () => {
  let browser: Browser;
  let bed: Awaited<ReturnType<typeof scenarioBed>>;
  beforeAll(async () => {
    [browser, bed] = await Promise.all([launchPlaywright(), scenarioBed('playwright')]);
  });
  afterAll(async () => {
    await browser?.close();
    await bed?.farm.close();
  });

  it.each(SCENARIOS.map((s) => [s.name, s] as const))('%s', async (_name, scenario) => {
    const result = await bed.run(scenario, async (pool, url, waitForReport) => {
      // A refused connection on a loaded machine can take over 2 s to be told.
      const pooled = withProxyPool(browser, pool, { navigationTimeoutMs: 4_000 });
      const context = await pooled.newContext({ ignoreHTTPSErrors: true }, { target: url });
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
