import {
  type AdapterOptions,
  type BaseRunOptions,
  type ContextLeaseOptions,
  type OpenedContext,
  PooledBrowserBase,
  type ProxyRoute,
  type SessionTaskContext,
} from '@proxy-pool/browser';
import type { Classification, Proxy, ProxyPool } from '@proxy-pool/core';
import type { Browser, BrowserContext, BrowserContextOptions, LaunchOptions, Page, Response } from 'playwright-core';
import { classify as defaultClassify } from './classify.js';
import { rememberProxy } from './proxy-of.js';
import { trackContext } from './track-context.js';

export interface PooledBrowserOptions extends AdapterOptions<Response, Page> {
  /** Proxy bypass rules passed to every context (Playwright's `bypass`). */
  bypass?: string;
  /**
   * Starts a browser: used to relaunch after a crash, and, in `launch-per-proxy` mode, to
   * start one browser per lease with `proxy` set at launch.
   */
  launch?: (options: LaunchOptions) => Promise<Browser>;
}

export type NewContextOptions = ContextLeaseOptions;
export type RunContext = SessionTaskContext<BrowserContext, Page>;
export type RunOptions = BaseRunOptions<BrowserContextOptions>;

/**
 * A Playwright browser whose contexts each get a proxy from the pool. `newContext` returns a
 * real `BrowserContext`; `run` adds retries on rotated proxies.
 */
export class PooledBrowser extends PooledBrowserBase<Browser, BrowserContext, Page, BrowserContextOptions> {
  readonly #options: PooledBrowserOptions;

  constructor(browser: Browser | undefined, pool: ProxyPool, options: PooledBrowserOptions = {}) {
    super(browser, pool, options, options.launch !== undefined);
    this.#options = options;
  }

  #proxyOption(route: ProxyRoute | Proxy) {
    const { server, username, password } = 'toServerForm' in route ? route.toServerForm() : route;
    return {
      server,
      ...(username === undefined ? {} : { username }),
      ...(password === undefined ? {} : { password }),
      ...(this.#options.bypass ? { bypass: this.#options.bypass } : {}),
    };
  }

  protected async openContext(
    browser: Browser | undefined,
    proxy: Proxy,
    options: BrowserContextOptions = {},
    route: ProxyRoute,
  ): Promise<OpenedContext<Browser, BrowserContext>> {
    const ownBrowser = browser ? undefined : await this.#launch(route);
    const context = ownBrowser
      ? await ownBrowser.newContext(options)
      : await browser!.newContext({ ...options, proxy: this.#proxyOption(route) });
    rememberProxy(context, proxy);
    const tracker = trackContext(context, {
      navigationTimeoutMs: this.navigationTimeoutMs,
      isBlocked: this.#options.isBlocked,
      detectBlocks: this.#options.detectBlocks ?? true,
      report: ({ url, outcome }) => this.pool.report(proxy, outcome, { target: url }),
      route,
    });
    return { context, tracker: tracker as never, ownBrowser };
  }

  protected launchBrowser(proxy: Proxy | undefined): Promise<Browser> {
    return this.#launch(proxy);
  }

  #launch(route: ProxyRoute | Proxy | undefined): Promise<Browser> {
    if (!this.#options.launch) throw new Error('The browser is closed or crashed, and no `launch` option was given to relaunch it.');
    return this.#options.launch(route ? { proxy: this.#proxyOption(route) } : {});
  }

  protected isConnected(browser: Browser): boolean {
    return browser.isConnected();
  }

  protected onContextClosed(context: BrowserContext, listener: () => void): void {
    context.on('close', listener);
  }

  protected closeContext(context: BrowserContext): Promise<void> {
    return context.close();
  }

  protected closeBrowser(browser: Browser): Promise<void> {
    return browser.close();
  }

  protected async newPage(context: BrowserContext): Promise<Page> {
    context.setDefaultNavigationTimeout(this.navigationTimeoutMs);
    return context.newPage();
  }

  protected classifyError(error: unknown): Classification | undefined {
    return this.#options.classify?.(error) ?? defaultClassify(error);
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
