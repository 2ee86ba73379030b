import { type ProxyPoolOptions, ProxyPool, type RotationName } from '@proxy-pool/core';
import { type ProxySpec, ProxyFarm } from '@proxy-pool/e2e/farm';
import { withProxyPool } from '@proxy-pool/playwright';
import type { Browser } from 'playwright-core';

/** The mix, for a list of `size` proxies. */
export function mixedList(size: number): ProxySpec[] {
  const share = (fraction: number) => Math.max(1, Math.round(size * fraction));
  const specs: ProxySpec[] = [];
  const add = (n: number, spec: (i: number) => ProxySpec) => {
    for (let i = 0; i < n; i++) specs.push(spec(i));
  };
  add(share(0.1), (i) => ({ name: `slow-${i}`, mode: 'slow', delayMs: 1_500 }));
  add(share(0.15), (i) => ({ name: `refusing-${i}`, mode: 'refuse' }));
  add(share(0.05), (i) => ({ name: `hanging-${i}`, mode: 'hang' }));
  add(share(0.05), (i) => ({ name: `resetting-${i}`, mode: 'reset' }));
  add(share(0.05), (i) => ({ name: `flaky-${i}`, mode: 'flaky', failRate: 0.5 }));
  add(share(0.1), (i) => ({ name: `banned-${i}`, mode: 'good', bannedOn: 'all' }));
  add(share(0.05), (i) => ({ name: `dying-${i}`, mode: 'good', dieAfter: 5 }));
  add(share(0.05), (i) => ({ name: `recovering-${i}`, mode: 'good', recoverAfterMs: 5_000 }));
  add(Math.max(1, size - specs.length), (i) => ({ name: `good-${i}`, mode: 'good' }));
  return specs;
}

export interface CrawlResult {
  name: string;
  fetched: number;
  failed: number;
  seconds: number;
  attempts: number;
  fetchedUrls: Set<string>;
  /** For proxies that died mid-crawl: attempts made through each after it died. */
  attemptsAfterDeath: number[];
  /** For proxies that recovered: ms from recovery to their first success (undefined: never used again). */
  msToReuse: Array<number | undefined>;
}

export interface CrawlConfig {
  name: string;
  pool: Omit<ProxyPoolOptions, 'proxies'>;
  /** Only these proxies (the oracle). */
  only?: (name: string) => boolean;
}

/** One crawl of `pages` pages at `concurrency` through a fresh farm, with real Chromium. */
export async function crawl(
  browser: Browser,
  config: CrawlConfig,
  options: { pages: number; concurrency: number; proxies: number; navigationTimeoutMs: number },
): Promise<CrawlResult> {
  const farm = await ProxyFarm.start({ proxies: mixedList(options.proxies) });
  const startedAt = Date.now();
  const used = farm.proxies.filter((p) => !config.only || config.only(p.name));
  const pool = new ProxyPool({ ...config.pool, proxies: used.map((p) => p.url) });
  const pooled = withProxyPool(browser, pool, {
    navigationTimeoutMs: options.navigationTimeoutMs,
    reuseContexts: true,
    maxIdleContexts: options.proxies + options.concurrency,
  });

  const nameOf = new Map(farm.proxies.map((p) => [p.id, p]));
  const deathAttempts = new Map<string, number>();
  const firstSuccessAfterRecovery = new Map<string, number>();
  pool.on('failure', (e) => {
    const proxy = nameOf.get(e.proxy.id);
    if (proxy?.spec.dieAfter !== undefined && !proxy.alive) deathAttempts.set(proxy.name, (deathAttempts.get(proxy.name) ?? 0) + 1);
  });
  pool.on('success', (e) => {
    const proxy = nameOf.get(e.proxy.id);
    if (proxy?.spec.recoverAfterMs !== undefined && !firstSuccessAfterRecovery.has(proxy.name))
      firstSuccessAfterRecovery.set(proxy.name, Date.now());
  });

  let next = 0;
  let fetched = 0;
  let failed = 0;
  let attempts = 0;
  const fetchedUrls = new Set<string>();
  const sites = ['alpha.test', 'beta.test', 'gamma.test'];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      for (let i = next++; i < options.pages; i = next++) {
        const url = farm.site.url(`/page/${i}`, sites[i % sites.length]);
        try {
          await pooled.run(
            async ({ page }) => {
              attempts++;
              await page.goto(url);
              return page.title();
            },
            { target: url },
          );
          fetched++;
          fetchedUrls.add(url.replace(/:\d+\//, '/'));
        } catch {
          failed++;
        }
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const recovering = farm.proxies.filter((p) => p.spec.recoverAfterMs !== undefined && used.includes(p));
  const dying = farm.proxies.filter((p) => p.spec.dieAfter !== undefined && used.includes(p));
  const result: CrawlResult = {
    name: config.name,
    fetched,
    failed,
    seconds,
    attempts,
    fetchedUrls,
    attemptsAfterDeath: dying.map((p) => deathAttempts.get(p.name) ?? 0),
    msToReuse: recovering.map((p) => {
      const at = firstSuccessAfterRecovery.get(p.name);
      return at === undefined ? undefined : Math.max(0, at - (startedAt + (p.spec.recoverAfterMs ?? 0)));
    }),
  };
  if (process.env.CRAWL_DEBUG) {
    const byKind = new Map<string, { ok: number; fail: number; ms: number }>();
    for (const m of pool.snapshot().proxies) {
      const kind = (nameOf.get(m.proxy)?.name ?? m.proxy).replace(/-\d+$/, '');
      const k = byKind.get(kind) ?? { ok: 0, fail: 0, ms: 0 };
      k.ok += m.successfulRequests;
      k.fail += m.failedRequests;
      k.ms += m.avgResponseTime * m.successfulRequests;
      byKind.set(kind, k);
    }
    for (const [kind, k] of byKind)
      console.log(`    ${kind.padEnd(12)} ok ${k.ok} fail ${k.fail} avg ${(k.ms / Math.max(1, k.ok)).toFixed(0)} ms`);
  }
  await pooled.close();
  await pool.close();
  await farm.close();
  return result;
}

/** The configurations the benchmark compares. */
export function configurations(rotations: readonly RotationName[]): CrawlConfig[] {
  return [
    { name: 'pool, defaults', pool: {} },
    ...rotations.filter((r) => r !== 'weighted').map((rotation) => ({ name: `pool, ${rotation}`, pool: { rotation } })),
    {
      // What people write by hand: every proxy in turn, retries with jittered backoff, no health.
      name: 'naive round-robin',
      pool: {
        rotation: 'round-robin',
        breaker: { failureThreshold: 1_000_000 },
        bans: { blockedMs: 0, rateLimitedMs: 0, maxBanMs: 0 },
        targetHealth: false,
      },
    },
    { name: 'oracle (good proxies only)', pool: {}, only: (name) => name.startsWith('good-') },
  ];
}
