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
import { type Engine, engineOf } from './engine.js';
import { FIREFOX_LOOPBACK_PREFS, bidiBypass, bidiServer, wantsLoopback } from './firefox/options.js';
import { FirefoxRelays, type FirefoxRoute, firefoxNeedsRelay } from './firefox/relays.js';
import { answerProxyAuth } from './proxy-auth.js';
import { rememberProxy } from './proxy-of.js';
import { trackContext } from './track-context.js';

/** What the adapter hands your `launch`: pass both on to `puppeteer.launch` (each browser reads its own). */
export interface LaunchOptions {
  /** Chromium's flags: `--proxy-server=…` in `launch-per-proxy` mode (left out once the browser is known to be Firefox). */
  args: string[];
  /** Firefox's preferences: loopback through the proxy when `bypass` includes `'<-loopback>'` (`FIREFOX_LOOPBACK_PREFS`). */
  extraPrefsFirefox: Record<string, string | number | boolean>;
}

export interface PooledBrowserOptions extends AdapterOptions<HTTPResponse, Page> {
  /**
   * Hosts that skip the proxy (Chromium's bypass rules). Chromium bypasses loopback by
   * default; `['<-loopback>']` sends 127.0.0.1 through the proxy too. Firefox takes the host
   * names and addresses; loopback through the proxy is a Firefox preference set at launch
   * (`FIREFOX_LOOPBACK_PREFS`, which the adapter passes to `launch` for `'<-loopback>'`).
   */
  bypass?: string[];
  /**
   * Starts a browser: used to relaunch after a crash, and, in `launch-per-proxy` mode, to
   * start one browser per lease; `args` then holds `--proxy-server=…` for you to pass on
   * (Chromium), `extraPrefsFirefox` Firefox's preferences:
   * `launch: (o) => puppeteer.launch({ ...yours, ...o })` suits both browsers.
   */
  launch?: (options: LaunchOptions) => Promise<Browser>;
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
  /** Relays for what Firefox cannot be given as it is (credentials; SOCKS and HTTPS proxies). */
  readonly #firefoxRelays: FirefoxRelays;
  /** What the last browser `launch` gave turned out to be (a `launch` starts one kind of browser). */
  #launched: Engine | undefined;

  constructor(browser: Browser | undefined, pool: ProxyPool, options: PooledBrowserOptions = {}) {
    super(browser, pool, options, options.launch !== undefined);
    this.#options = options;
    this.#firefoxRelays = new FirefoxRelays(pool, { memoryMs: this.navigationTimeoutMs + 5_000 });
  }

  protected async openContext(
    browser: Browser | undefined,
    proxy: Proxy,
    options: BrowserContextOptions = {},
    route: ProxyRoute,
  ): Promise<OpenedContext<Browser, BrowserContext>> {
    const ownBrowser = browser ? undefined : await this.#launch(route.server);
    try {
      const used = (browser ?? ownBrowser)!;
      const engine = await engineOf(used);
      const bypass = this.#options.bypass ?? options.proxyBypassList;
      // Chromium launched with --proxy-server needs no proxy on its context; a BiDi browser
      // (Firefox) has no such flag: its contexts always get one.
      const { context, route: taken } =
        ownBrowser && !engine.bidi
          ? { context: await ownBrowser.createBrowserContext(options), route }
          : engine.bidi
            ? await this.#bidiContext(used, engine, proxy, options, route, bypass)
            : { context: await used.createBrowserContext({ ...options, proxyServer: route.server, proxyBypassList: bypass }), route };
      rememberProxy(context, proxy);
      const { tracker } = trackContext(context, {
        navigationTimeoutMs: this.navigationTimeoutMs,
        isBlocked: this.#options.isBlocked,
        detectBlocks: this.#options.detectBlocks ?? true,
        report: ({ url, outcome }) => this.pool.report(proxy, outcome, { target: url }),
        // Through a relay the browser has no credentials to give: the relay holds them. Firefox
        // is never given any (it would share them between contexts: see FirefoxRelays).
        preparePage:
          engine.name === 'chromium' && proxy.hasCredentials && !route.relay ? (page) => answerProxyAuth(page, proxy) : undefined,
        route: taken,
        firefox: engine.name === 'firefox',
      });
      return { context, tracker: tracker as never, ownBrowser };
    } catch (error) {
      if (ownBrowser) await ownBrowser.close().catch(() => undefined);
      throw error;
    }
  }

  /**
   * A context of a WebDriver BiDi browser (Firefox) on the proxy: as `host:port`, through a
   * relay when the browser could not use the proxy as it is — credentials on Firefox, and any
   * SOCKS or HTTPS proxy (BiDi gives a context an HTTP proxy only) — unless the kit's SOCKS relay
   * already stands in front of it.
   */
  async #bidiContext(
    browser: Browser,
    engine: Engine,
    proxy: Proxy,
    options: BrowserContextOptions,
    route: ProxyRoute,
    bypass: string[] | undefined,
  ): Promise<{ context: BrowserContext; route: FirefoxRoute }> {
    const relayed =
      !route.relay && ((engine.name === 'firefox' && firefoxNeedsRelay(proxy)) || proxy.protocol !== 'http')
        ? await this.#firefoxRelays.routeFor(proxy)
        : route;
    const context = await browser.createBrowserContext({
      ...options,
      proxyServer: bidiServer(relayed),
      proxyBypassList: bidiBypass(bypass),
    });
    return { context, route: relayed };
  }

  protected launchBrowser(proxy: Proxy | undefined): Promise<Browser> {
    return this.#launch(proxy?.server);
  }

  async #launch(server: string | undefined): Promise<Browser> {
    if (!this.#options.launch) throw new Error('The browser is closed or crashed, and no `launch` option was given to relaunch it.');
    const args = server && this.#launched?.name !== 'firefox' ? [`--proxy-server=${server}`] : [];
    const extraPrefsFirefox = wantsLoopback(this.#options.bypass) ? { ...FIREFOX_LOOPBACK_PREFS } : {};
    const browser = await this.#options.launch({ args, extraPrefsFirefox });
    this.#launched = await engineOf(browser);
    return browser;
  }

  /** The local relays running now: the kit's (SOCKS with credentials) and Firefox's. */
  override get relays(): Array<{ proxyId: string; server: string }> {
    return [...super.relays, ...this.#firefoxRelays.running];
  }

  /** Closes every context it opened (and browsers it launched for them) and its relays. The pool stays open. */
  override async close(): Promise<void> {
    await super.close();
    await this.#firefoxRelays.close();
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
