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
import type { Browser, BrowserContext, BrowserContextOptions, HTTPResponse, Page } from 'puppeteer-core';
import { classify as defaultClassify } from './classify.js';
import { answerProxyAuth } from './proxy-auth.js';
import { rememberProxy } from './proxy-of.js';
import { trackContext } from './track-context.js';

export interface PooledBrowserOptions extends AdapterOptions<HTTPResponse, Page> {
  /**
   * Hosts that skip the proxy (Chromium's bypass rules). Chromium bypasses loopback by
   * default; `['<-loopback>']` sends 127.0.0.1 through the proxy too.
   */
  bypass?: string[];
  /**
   * Starts a browser: used to relaunch after a crash, and, in `launch-per-proxy` mode, to
   * start one browser per lease; `args` then holds `--proxy-server=…` for you to pass on.
   */
  launch?: (options: { args: string[] }) => Promise<Browser>;
}

export type NewContextOptions = ContextLeaseOptions;
export type RunContext = SessionTaskContext<BrowserContext, Page>;
export type RunOptions = BaseRunOptions<BrowserContextOptions>;

/**
 * A Puppeteer browser whose contexts each get a proxy from the pool
 * (`createBrowserContext({ proxyServer })`), with the proxy's credentials answered on every
 * page, and only to the proxy.
 */
export class PooledBrowser extends PooledBrowserBase<Browser, BrowserContext, Page, BrowserContextOptions> {
  readonly #options: PooledBrowserOptions;

  constructor(browser: Browser | undefined, pool: ProxyPool, options: PooledBrowserOptions = {}) {
    super(browser, pool, options, options.launch !== undefined);
    this.#options = options;
  }

  protected async openContext(
    browser: Browser | undefined,
    proxy: Proxy,
    options: BrowserContextOptions = {},
    route: ProxyRoute,
  ): Promise<OpenedContext<Browser, BrowserContext>> {
    const ownBrowser = browser ? undefined : await this.#launch(route.server);
    const context = ownBrowser
      ? await ownBrowser.createBrowserContext(options)
      : await browser!.createBrowserContext({
          ...options,
          proxyServer: route.server,
          proxyBypassList: this.#options.bypass ?? options.proxyBypassList,
        });
    rememberProxy(context, proxy);
    const { tracker } = trackContext(context, {
      navigationTimeoutMs: this.navigationTimeoutMs,
      isBlocked: this.#options.isBlocked,
      detectBlocks: this.#options.detectBlocks ?? true,
      report: ({ url, outcome }) => this.pool.report(proxy, outcome, { target: url }),
      // Through a relay the browser has no credentials to give: the relay holds them.
      preparePage: proxy.hasCredentials && !route.relay ? (page) => answerProxyAuth(page, proxy) : undefined,
      route,
    });
    return { context, tracker: tracker as never, ownBrowser };
  }

  protected launchBrowser(proxy: Proxy | undefined): Promise<Browser> {
    return this.#launch(proxy?.server);
  }

  #launch(server: string | undefined): Promise<Browser> {
    if (!this.#options.launch) throw new Error('The browser is closed or crashed, and no `launch` option was given to relaunch it.');
    return this.#options.launch({ args: server ? [`--proxy-server=${server}`] : [] });
  }

  protected isConnected(browser: Browser): boolean {
    return browser.connected ?? (browser as unknown as { isConnected(): boolean }).isConnected();
  }

  protected onContextClosed(context: BrowserContext, listener: () => void): void {
    // Puppeteer has no close event on a context: `context.close()` (yours or ours) is wrapped to
    // say so, and a browser that goes away ends all its contexts at once.
    const close = context.close.bind(context);
    context.close = async () => {
      try {
        await close();
      } finally {
        listener();
      }
    };
    const browser = context.browser();
    let listeners = onDisconnect.get(browser);
    if (!listeners) {
      const set = new Set<() => void>();
      listeners = set;
      onDisconnect.set(browser, set);
      browser.once('disconnected', () => {
        for (const end of set) end();
      });
    }
    listeners.add(listener);
  }

  protected async closeContext(context: BrowserContext): Promise<void> {
    await context.close();
  }

  protected closeBrowser(browser: Browser): Promise<void> {
    return browser.close();
  }

  protected async newPage(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    page.setDefaultNavigationTimeout(this.navigationTimeoutMs);
    return page;
  }

  protected classifyError(error: unknown): Classification | undefined {
    return this.#options.classify?.(error) ?? defaultClassify(error);
  }
}

const onDisconnect = new WeakMap<Browser, Set<() => void>>();

/**
 * Wraps a Puppeteer browser so that every context gets its own proxy from the pool.
 *
 *   const pooled = withProxyPool(browser, pool);
 *   const context = await pooled.newContext({}, { target: url });
 *   const title = await pooled.run(async ({ page }) => { await page.goto(url); return page.title(); }, { target: url });
 */
export function withProxyPool(browser: Browser | undefined, pool: ProxyPool, options: PooledBrowserOptions = {}): PooledBrowser {
  return new PooledBrowser(browser, pool, options);
}
