import {
  AttemptFailedError,
  type BrowserSession,
  type Classification,
  type Lease,
  type Proxy,
  type ProxyPool,
  UnsupportedProxyError,
  runInSessions,
} from '@proxy-pool/core';
import type { Browser, BrowserContext, BrowserContextOptions, LaunchOptions, Page } from 'playwright-core';
import { classify as defaultClassify } from './classify.js';
import { type BlockDetector, trackContext } from './track-context.js';
import { rememberProxy } from './proxy-of.js';

export interface PooledBrowserOptions {
  /** Your own classifier, asked first; return undefined to fall back to the default. */
  classify?: (error: unknown) => Classification | undefined;
  /** Decides whether a 2xx main-frame response is a block page (captcha, "access denied"…). */
  isBlocked?: BlockDetector;
  /** Read small 2xx documents to spot block pages with the default detector. @default true */
  detectBlocks?: boolean;
  /**
   * A main-frame navigation with no answer after this long is reported as a `timeout`, and
   * `run()` sets it as its pages' navigation timeout. A hanging proxy costs this much per
   * attempt: keep it near what a good proxy needs. @default 15_000
   */
  navigationTimeoutMs?: number;
  /** Proxy bypass rules passed to every context (Playwright's `bypass`). */
  bypass?: string;
  /**
   * Starts a browser: used to relaunch after a crash, and, in `launch-per-proxy` mode, to start
   * one browser per lease with `proxy` set at launch (`--proxy-server`).
   */
  launch?: (options: LaunchOptions) => Promise<Browser>;
  /**
   * `per-context` (default): one browser, a proxy per context.
   * `launch-per-proxy`: a browser per lease, launched with the proxy; for setups that cannot
   * set a proxy per context. Needs `launch`.
   */
  mode?: 'per-context' | 'launch-per-proxy';
}

export interface NewContextOptions {
  /** The URL (or host) this context will work on: bans are per target. */
  target?: string | URL;
  exclude?: Iterable<Proxy | string>;
  signal?: AbortSignal;
}

export interface RunContext {
  context: BrowserContext;
  page: Page;
  proxy: Proxy;
  attempt: number;
  signal: AbortSignal;
}

export interface RunOptions {
  target?: string | URL;
  retries?: number;
  signal?: AbortSignal;
  deadlineMs?: number;
  /** Options for each attempt's context (the proxy is set for you). */
  contextOptions?: BrowserContextOptions;
}

/**
 * A browser whose contexts each get a proxy from the pool. `newContext` returns a real
 * `BrowserContext`; `run` adds retries on rotated proxies.
 */
export class PooledBrowser {
  readonly pool: ProxyPool;
  readonly #options: PooledBrowserOptions & { navigationTimeoutMs: number };
  #browser: Browser | undefined;
  #relaunching: Promise<Browser> | undefined;
  #relaunches = 0;
  readonly #contexts = new Set<BrowserContext>();

  constructor(browser: Browser | undefined, pool: ProxyPool, options: PooledBrowserOptions = {}) {
    if ((options.mode === 'launch-per-proxy' || !browser) && !options.launch) {
      throw new TypeError('Expected a `launch` option: launch-per-proxy mode (or no browser) needs a way to start browsers.');
    }
    const navigationTimeoutMs = options.navigationTimeoutMs ?? 15_000;
    if (!(navigationTimeoutMs > 0)) throw new RangeError(`Expected \`navigationTimeoutMs\` to be > 0, got ${navigationTimeoutMs}.`);
    this.pool = pool;
    this.#options = { ...options, navigationTimeoutMs };
    this.#browser = browser;
  }

  /** The current browser (it changes after a relaunch). */
  get browser(): Browser | undefined {
    return this.#browser;
  }

  /** Contexts opened and not yet closed. */
  get openContexts(): number {
    return this.#contexts.size;
  }

  /**
   * Leases a proxy and opens a context with it. Every main-frame navigation of its pages is
   * reported to the pool; closing the context ends the lease.
   */
  async newContext(contextOptions: BrowserContextOptions = {}, options: NewContextOptions = {}): Promise<BrowserContext> {
    const lease = await this.pool.acquire({ target: options.target, exclude: options.exclude, signal: options.signal });
    try {
      return (await this.#open(lease, contextOptions)).context;
    } catch (error) {
      const c = this.#classify(error);
      if (c.kind === 'client') lease.release();
      else lease.failure({ kind: c.kind });
      throw error;
    }
  }

  async #open(lease: Lease, contextOptions: BrowserContextOptions): Promise<BrowserSession<BrowserContext, Page | undefined>> {
    const { proxy } = lease;
    if (proxy.protocol.startsWith('socks') && proxy.hasCredentials) {
      throw new UnsupportedProxyError(
        `${proxy.id}: Chromium cannot authenticate to SOCKS proxies, so Playwright refuses a SOCKS5 proxy with a username or password. ` +
          'Use an HTTP proxy for this account, or a local forwarder without authentication.',
      );
    }
    const proxyOption = { ...proxy.toServerForm(), ...(this.#options.bypass ? { bypass: this.#options.bypass } : {}) };
    let context: BrowserContext;
    let ownBrowser: Browser | undefined;
    if (this.#options.mode === 'launch-per-proxy') {
      ownBrowser = await this.#options.launch!({ proxy: proxyOption });
      context = await ownBrowser.newContext(contextOptions);
    } else {
      const browser = await this.#liveBrowser();
      context = await browser.newContext({ ...contextOptions, proxy: proxyOption });
    }
    rememberProxy(context, proxy);
    this.#contexts.add(context);
    const tracker = trackContext(context, {
      navigationTimeoutMs: this.#options.navigationTimeoutMs,
      isBlocked: this.#options.isBlocked,
      detectBlocks: this.#options.detectBlocks ?? true,
      report: ({ url, outcome }) => this.pool.report(proxy, outcome, { target: url }),
    });
    let ended: Promise<void> | undefined;
    const end = () => {
      ended ??= (async () => {
        tracker.close();
        await tracker.idle();
        this.#contexts.delete(context);
        lease.release(); // the navigations told the pool what it needed; the lease just ends
        if (ownBrowser) await ownBrowser.close().catch(() => undefined);
      })();
      return ended;
    };
    context.on('close', () => void end());
    const close = async () => {
      await context.close().catch(() => undefined);
      await end();
    };
    return { context, page: undefined, tracker: tracker as never, close };
  }

  /**
   * Runs `task` with a fresh context and page on a leased proxy; on a failure worth another
   * proxy, again on a rotated one, with the pool's backoff in between (core's
   * `executeWithRetry`). The context is always closed, whatever happens. A task that returns
   * normally after a navigation that was blocked, or answered by the proxy itself, has not
   * succeeded: the attempt fails with that navigation's kind and is retried.
   */
  async run<T>(task: (context: RunContext) => Promise<T>, options: RunOptions = {}): Promise<T> {
    const adapter = {
      open: async (lease: Lease) => {
        const session = await this.#open(lease, options.contextOptions ?? {});
        try {
          session.context.setDefaultNavigationTimeout(this.#options.navigationTimeoutMs);
          session.page = await session.context.newPage();
        } catch (error) {
          await session.close();
          throw error;
        }
        return session as BrowserSession<BrowserContext, Page>;
      },
      classify: (error: unknown) => this.#classify(error),
    };
    return runInSessions(this.pool, adapter, task, options);
  }

  #classify(error: unknown): Classification {
    if (error instanceof AttemptFailedError)
      return { kind: error.kind, status: error.status, retryAfterMs: error.retryAfterMs, retry: error.retry };
    if (error instanceof UnsupportedProxyError) return { kind: 'proxy_auth', evidence: error.message };
    if (this.#browser && !this.#browser.isConnected()) return { kind: 'client', retry: true, evidence: 'the browser disconnected' };
    return this.#options.classify?.(error) ?? defaultClassify(error) ?? { kind: 'unknown' };
  }

  /** The browser, relaunched (with backoff) when it crashed or disconnected and a `launch` option allows it. */
  async #liveBrowser(): Promise<Browser> {
    if (this.#browser?.isConnected()) return this.#browser;
    if (!this.#options.launch) throw new Error('The browser is closed or crashed, and no `launch` option was given to relaunch it.');
    this.#relaunching ??= (async () => {
      const delay = Math.min(30_000, 500 * 2 ** this.#relaunches);
      if (this.#relaunches > 0) await this.pool.options.clock.sleep(delay);
      this.#relaunches++;
      const browser = await this.#options.launch!({});
      this.#browser = browser;
      return browser;
    })().finally(() => {
      this.#relaunching = undefined;
    });
    const browser = await this.#relaunching;
    return browser;
  }

  /** Closes every context it opened (and browsers it launched). The pool stays open. */
  async close(): Promise<void> {
    await Promise.all([...this.#contexts].map((context) => context.close().catch(() => undefined)));
  }
}

/**
 * Wraps a Playwright browser so that every context gets its own proxy from the pool.
 *
 *   const pooled = withProxyPool(browser, pool);
 *   const context = await pooled.newContext({}, { target: url });   // a real BrowserContext
 *   const title = await pooled.run(async ({ page }) => { await page.goto(url); return page.title(); }, { target: url });
 */
export function withProxyPool(browser: Browser | undefined, pool: ProxyPool, options: PooledBrowserOptions = {}): PooledBrowser {
  return new PooledBrowser(browser, pool, options);
}
