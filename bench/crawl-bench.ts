import { type ProxyPoolOptions, ProxyPool, type RotationName } from '@proxy-pool/core';
import { type ProxySpec, ProxyFarm } from '@proxy-pool/e2e/farm';
import { withProxyPool } from '@proxy-pool/playwright';
import type { Browser } from 'playwright-core';

/** The page a crawl's task sees, whichever library drives the browser. */
export interface CrawlPage {
  goto(url: string): Promise<unknown>;
  title(): Promise<string>;
}

/** What a crawl needs of a pooled browser: `run()` and `close()`, as both adapters have them. */
export interface CrawlPooled {
  run<T>(task: (context: { page: CrawlPage }) => Promise<T>, options: { target: string }): Promise<T>;
  close(): Promise<void>;
}

/** The adapter options a crawl sets. */
export interface CrawlAdapterOptions {
  navigationTimeoutMs: number;
  reuseContexts: boolean;
  maxIdleContexts: number;
  preflight?: boolean;
}

/**
 * A browser and the adapter that drives it: Playwright with Chromium (what a Playwright
 * `Browser` given to `Crawl.start` means), or Puppeteer with Firefox (`e2e/src/firefox-crawl.ts`).
 * `label` prefixes the configuration's name in the results ('' for Chromium).
 */
export interface CrawlDriver {
  label: string;
  wrap(pool: ProxyPool, options: CrawlAdapterOptions): CrawlPooled;
}

/** Playwright with Chromium; the farm's site has a self-signed certificate. */
export function playwrightDriver(browser: Browser): CrawlDriver {
  return {
    label: '',
    wrap: (pool, options) => {
      const pooled = withProxyPool(browser, pool, options);
      return {
        run: (task, runOptions) => pooled.run(task, { ...runOptions, contextOptions: { ignoreHTTPSErrors: true } }),
        close: () => pooled.close(),
      };
    },
  };
}

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
  /** The driver's label ('' for Chromium): results are compared with the oracle of the same label. */
  label: string;
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
  /** Adapter options beyond the benchmark's own (the naive baseline turns the pre-flight check off). */
  adapter?: { preflight?: boolean };
  /** Only these proxies (the oracle). */
  only?: (name: string) => boolean;
}

export interface CrawlOptions {
  pages: number;
  concurrency: number;
  proxies: number;
  navigationTimeoutMs: number;
  /**
   * How many sites the pages are spread over. @default 1: "banned by the target" is one
   * target. More sites means more per-site bans to learn, and a renderer process swap on
   * nearly every navigation (Chromium isolates sites), which costs the oracle as much.
   */
  sites?: number;
  /** Serve the pages over https (CONNECT tunnels through the proxies, as for nearly every real site). @default true */
  https?: boolean;
}

/**
 * One configuration's crawl through its own fresh farm, run a slice of pages at a time so that
 * the benchmark can interleave configurations: on a shared 2-core machine Chromium's speed
 * drifts by a third within minutes, and rounds taken in turn spread that drift over every
 * configuration instead of favouring whichever ran on a quiet stretch. Time is counted only
 * while this crawl runs (`seconds`, and the recovery measurement, exclude the other rounds).
 */
export class Crawl {
  readonly #config: CrawlConfig;
  readonly #options: CrawlOptions;
  readonly #farm: ProxyFarm;
  readonly #pool: ProxyPool;
  readonly #pooled: CrawlPooled;
  readonly #startedAt = Date.now();
  /** Wall-clock [start, end] of each slice, to turn wall time into this crawl's own time. */
  readonly #slices: Array<[number, number]> = [];
  readonly #deathAttempts = new Map<string, number>();
  readonly #firstSuccessAfterRecovery = new Map<string, number>();
  #fetched = 0;
  #failed = 0;
  #attempts = 0;
  readonly #fetchedUrls = new Set<string>();
  /** Why each lost page was lost (CRAWL_DEBUG). */
  readonly #lostBecause: string[] = [];

  readonly #label: string;

  private constructor(config: CrawlConfig, options: CrawlOptions, farm: ProxyFarm, driver: CrawlDriver) {
    this.#config = config;
    this.#options = options;
    this.#farm = farm;
    this.#label = driver.label;
    const used = farm.proxies.filter((p) => !config.only || config.only(p.name));
    this.#pool = new ProxyPool({ ...config.pool, proxies: used.map((p) => p.url) });
    this.#pooled = driver.wrap(this.#pool, {
      navigationTimeoutMs: options.navigationTimeoutMs,
      reuseContexts: true,
      maxIdleContexts: options.proxies + options.concurrency,
      ...config.adapter,
    });
    const byId = new Map(farm.proxies.map((p) => [p.id, p]));
    this.#pool.on('failure', (e) => {
      const proxy = byId.get(e.proxy.id);
      if (proxy?.spec.dieAfter !== undefined && !proxy.alive)
        this.#deathAttempts.set(proxy.name, (this.#deathAttempts.get(proxy.name) ?? 0) + 1);
    });
    this.#pool.on('success', (e) => {
      const proxy = byId.get(e.proxy.id);
      if (proxy?.spec.recoverAfterMs !== undefined && !this.#firstSuccessAfterRecovery.has(proxy.name))
        this.#firstSuccessAfterRecovery.set(proxy.name, Date.now());
    });
  }

  /** A crawl of `config` through a fresh farm, with Playwright's Chromium (a `Browser`) or another driver. */
  static async start(browser: Browser | CrawlDriver, config: CrawlConfig, options: CrawlOptions): Promise<Crawl> {
    const farm = await ProxyFarm.start({ proxies: mixedList(options.proxies), sites: [{ https: options.https ?? true }] });
    return new Crawl(config, options, farm, 'wrap' in browser ? browser : playwrightDriver(browser));
  }

  /** The configuration's name, after the driver's label (`Firefox: pool, defaults`). */
  get name(): string {
    return this.#label ? `${this.#label}: ${this.#config.name}` : this.#config.name;
  }

  /** The driver's label ('' for Chromium): which oracle this crawl is compared with. */
  get label(): string {
    return this.#label;
  }

  /** Crawls pages [from, to) at the configured concurrency. */
  async crawl(from: number, to: number): Promise<void> {
    const sites = Array.from({ length: Math.max(1, this.#options.sites ?? 1) }, (_, i) => `site-${i}.test`);
    let next = from;
    const begin = Date.now();
    await Promise.all(
      Array.from({ length: this.#options.concurrency }, async () => {
        for (let i = next++; i < to; i = next++) {
          const url = this.#farm.site.url(`/page/${i}`, sites[i % sites.length]);
          try {
            await this.#pooled.run(
              async ({ page }) => {
                this.#attempts++;
                await page.goto(url);
                return page.title();
              },
              { target: url },
            );
            this.#fetched++;
            this.#fetchedUrls.add(url.replace(/:\d+\//, '/'));
          } catch (error) {
            this.#failed++;
            this.#lostBecause.push(`${url}: ${(error as Error).message.split('\n')[0]}`);
          }
        }
      }),
    );
    this.#slices.push([begin, Date.now()]);
  }

  /** This crawl's own time (ms since its start, not counting other configurations' rounds) at a wall-clock time. */
  #ownTime(wall: number): number {
    let own = 0;
    for (const [begin, end] of this.#slices) own += Math.max(0, Math.min(end, wall) - begin);
    return own;
  }

  result(): CrawlResult {
    const farm = this.#farm;
    const used = (p: (typeof farm.proxies)[number]) => !this.#config.only || this.#config.only(p.name);
    const recovering = farm.proxies.filter((p) => p.spec.recoverAfterMs !== undefined && used(p));
    const dying = farm.proxies.filter((p) => p.spec.dieAfter !== undefined && used(p));
    return {
      name: this.name,
      label: this.#label,
      fetched: this.#fetched,
      failed: this.#failed,
      seconds: this.#ownTime(Number.POSITIVE_INFINITY) / 1000,
      attempts: this.#attempts,
      fetchedUrls: this.#fetchedUrls,
      attemptsAfterDeath: dying.map((p) => this.#deathAttempts.get(p.name) ?? 0),
      msToReuse: recovering.map((p) => {
        const at = this.#firstSuccessAfterRecovery.get(p.name);
        if (at === undefined) return undefined;
        return Math.max(0, this.#ownTime(at) - this.#ownTime(this.#startedAt + (p.spec.recoverAfterMs ?? 0)));
      }),
    };
  }

  /** Per kind of proxy in the mix: successes, failures, average latency (CRAWL_DEBUG). */
  debugLines(): string[] {
    const nameOf = new Map(this.#farm.proxies.map((p) => [p.id, p.name]));
    const byKind = new Map<string, { ok: number; fail: number; ms: number }>();
    for (const m of this.#pool.snapshot().proxies) {
      const kind = (nameOf.get(m.proxy) ?? m.proxy).replace(/-\d+$/, '');
      const k = byKind.get(kind) ?? { ok: 0, fail: 0, ms: 0 };
      k.ok += m.successfulRequests;
      k.fail += m.failedRequests;
      k.ms += m.avgResponseTime * m.successfulRequests;
      byKind.set(kind, k);
    }
    return [
      ...[...byKind].map(([kind, k]) => `    ${kind.padEnd(12)} ok ${k.ok} fail ${k.fail} avg ${(k.ms / Math.max(1, k.ok)).toFixed(0)} ms`),
      ...this.#lostBecause.map((why) => `    lost ${why}`),
    ];
  }

  async close(): Promise<void> {
    await this.#pooled.close();
    await this.#pool.close();
    await this.#farm.close();
  }
}

/** One whole crawl of `pages` pages at `concurrency` through a fresh farm, with real Chromium (or another driver's browser). */
export async function crawl(browser: Browser | CrawlDriver, config: CrawlConfig, options: CrawlOptions): Promise<CrawlResult> {
  const run = await Crawl.start(browser, config, options);
  try {
    await run.crawl(0, options.pages);
    return run.result();
  } finally {
    await run.close();
  }
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
      adapter: { preflight: false },
    },
    { name: 'oracle (good proxies only)', pool: {}, only: (name) => name.startsWith('good-') },
  ];
}
