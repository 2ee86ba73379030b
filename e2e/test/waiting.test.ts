import { NoProxyAvailableError, ProxyPool, RetriesExhaustedError } from '@proxy-pool/core';
import * as playwrightAdapter from '@proxy-pool/playwright';
import * as puppeteerAdapter from '@proxy-pool/puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchPlaywright, launchPuppeteer } from '../src/browsers.js';
import { ProxyFarm } from '../src/farm/index.js';

// `newContext` and `run` wait for a proxy as `pool.acquire` does: `wait: false` fails at once,
// `maxWaitMs` bounds the wait, `sticky` goes through to the pool. Real Chromium, a real farm.
interface WaitOptions {
  target?: string;
  retries?: number;
  wait?: boolean;
  maxWaitMs?: number;
  sticky?: string;
}
interface AnyPooled {
  newContext(contextOptions?: object, options?: WaitOptions): Promise<{ close(): Promise<void> }>;
  run<T>(task: (c: { page: { goto(url: string): Promise<unknown> } }) => Promise<T>, options?: WaitOptions): Promise<T>;
  close(): Promise<void>;
}

const ADAPTERS = [
  {
    name: 'playwright',
    launch: () => launchPlaywright(),
    wrap: (browser: unknown, pool: ProxyPool) => playwrightAdapter.withProxyPool(browser as never, pool) as unknown as AnyPooled,
  },
  {
    name: 'puppeteer',
    launch: () => launchPuppeteer('newest'),
    wrap: (browser: unknown, pool: ProxyPool) => puppeteerAdapter.withProxyPool(browser as never, pool) as unknown as AnyPooled,
  },
];

/** The error a promise rejects with, and how long that took. */
async function rejection(promise: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const start = performance.now();
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, ms: performance.now() - start };
}

function expectNoProxy(error: unknown): void {
  expect(error).toBeInstanceOf(NoProxyAvailableError);
  expect((error as NoProxyAvailableError).code).toBe('ERR_NO_PROXY_AVAILABLE');
}

describe.each(ADAPTERS)('$name adapter: waiting options', (adapter) => {
  let browser: { close(): Promise<void> };
  let farm: ProxyFarm;
  let pool: ProxyPool;
  let pooled: AnyPooled;
  let url: string;

  beforeAll(async () => {
    browser = await adapter.launch();
    farm = await ProxyFarm.start({
      proxies: [
        { name: 'dead-1', mode: 'refuse' },
        { name: 'dead-2', mode: 'refuse' },
      ],
    });
    // A long pool-wide wait: only the per-call options can make these calls end soon.
    pool = new ProxyPool({ proxies: farm.urls, maxWaitMs: 60_000, breaker: { failureThreshold: 1, openMs: 600_000 } });
    pooled = adapter.wrap(browser, pool);
    url = farm.site.url('/page/1', 'shop.test');
    // Every proxy fails for real (its pre-flight check is refused) and its breaker opens.
    // (Failed pre-flight checks use up no retry: the job then waits for a proxy, here not for long.)
    const first = await rejection(pooled.run(async ({ page }) => page.goto(url), { target: url, retries: 1, maxWaitMs: 100 }));
    expect(first.error).toBeInstanceOf(RetriesExhaustedError);
    expect(pool.snapshot().proxies.map((m) => m.circuitState)).toEqual(['open', 'open']);
  });
  afterAll(async () => {
    await pooled?.close();
    await pool?.close();
    await farm?.close();
    await browser?.close();
  });

  it('newContext with wait: false rejects at once with NoProxyAvailableError', async () => {
    const { error, ms } = await rejection(pooled.newContext({}, { target: url, wait: false }));
    expectNoProxy(error);
    expect(ms).toBeLessThan(5_000); // not the pool's 60 s
  });

  it('newContext with maxWaitMs: 200 waits about that long, then rejects with NoProxyAvailableError', async () => {
    const { error, ms } = await rejection(pooled.newContext({}, { target: url, maxWaitMs: 200 }));
    expectNoProxy(error);
    expect(ms).toBeGreaterThanOrEqual(150);
    expect(ms).toBeLessThan(10_000);
  });

  it('run with wait: false or maxWaitMs rejects with NoProxyAvailableError and never runs the task', async () => {
    let ran = 0;
    const task = async () => {
      ran++;
    };
    const now = await rejection(pooled.run(task, { target: url, wait: false }));
    expectNoProxy(now.error);
    expect(now.ms).toBeLessThan(5_000);
    const bounded = await rejection(pooled.run(task, { target: url, maxWaitMs: 200 }));
    expectNoProxy(bounded.error);
    expect(bounded.ms).toBeGreaterThanOrEqual(150);
    expect(bounded.ms).toBeLessThan(10_000);
    expect(ran).toBe(0);
  });

  it('passes wait, maxWaitMs and sticky through to every acquire, and names a bad value', async () => {
    const seen: object[] = [];
    const acquire = pool.acquire.bind(pool);
    pool.acquire = (options) => {
      seen.push({ ...options });
      return acquire(options);
    };
    try {
      expectNoProxy((await rejection(pooled.newContext({}, { target: url, wait: false, sticky: 'account-42' }))).error);
      expectNoProxy((await rejection(pooled.run(async () => 1, { target: url, maxWaitMs: 50, sticky: 'account-42' }))).error);
    } finally {
      pool.acquire = acquire;
    }
    expect(seen[0]).toMatchObject({ target: url, wait: false, sticky: 'account-42' });
    expect(seen[1]).toMatchObject({ target: url, sticky: 'account-42' });
    expect((seen[1] as { maxWaitMs: number }).maxWaitMs).toBeLessThanOrEqual(50);
    await expect(pooled.newContext({}, { target: url, maxWaitMs: -1 })).rejects.toThrow(/`maxWaitMs` of newContext\(\)/);
    await expect(pooled.run(async () => 1, { target: url, maxWaitMs: Number.NaN })).rejects.toThrow(/`maxWaitMs` of run\(\)/);
  });
});
