import { classifyBrowserError, detectBlockPage } from '@proxy-pool/browser';
import { AttemptFailedError, type Classification, type FailureKind, type ProxyPool, classifyResponse, isRetryable } from '@proxy-pool/core';
import { ProxyConfiguration } from '@crawlee/core';

/** The parts of a Crawlee crawling context the bridge reads (Playwright's and Puppeteer's alike). */
interface NavigationContext {
  request: { url: string };
  proxyInfo?: { url: string } | undefined;
  response?: { status(): number; headers(): Record<string, string>; text(): Promise<string> } | null | undefined;
}

export interface CrawleeBridgeOptions {
  /** Decide that a 2xx page is a block page; the default reads small HTML documents for captcha / "access denied" text. */
  isBlocked?: (context: NavigationContext) => Promise<boolean | string | undefined> | boolean | string | undefined;
}

export interface CrawleeBridge {
  /** Give it to the crawler: every request gets a proxy the pool chose for its URL. */
  proxyConfiguration: ProxyConfiguration;
  /** Add to the crawler's `preNavigationHooks`: times each navigation. */
  preNavigationHook: (context: NavigationContext) => void;
  /** Add to the crawler's `postNavigationHooks`: reports the navigation, and fails it when the page is a block or proxy error page, so Crawlee retries it on another proxy. */
  postNavigationHook: (context: NavigationContext) => Promise<void>;
  /** Use as (or call from) the crawler's `errorHandler`: reports failed navigations. */
  errorHandler: (context: NavigationContext, error: Error) => void;
}

/**
 * Per-proxy health for Crawlee. Crawlee scores sessions, not proxies, and keeps handing a dead
 * proxy's URL to new sessions; with the bridge, each request's proxy comes from the pool, and
 * each navigation's outcome goes back to it (breakers, bans, target health included).
 *
 *   const bridge = crawleeBridge(pool);
 *   new PlaywrightCrawler({
 *     proxyConfiguration: bridge.proxyConfiguration,
 *     preNavigationHooks: [bridge.preNavigationHook],
 *     postNavigationHooks: [bridge.postNavigationHook],
 *     errorHandler: bridge.errorHandler,
 *     launchContext: { useIncognitoPages: true },   // a proxy per page, not per browser
 *     …
 *   });
 */
export function crawleeBridge(pool: ProxyPool, options: CrawleeBridgeOptions = {}): CrawleeBridge {
  const started = new WeakMap<object, number>();
  const reported = new WeakSet<object>();

  const report = (context: NavigationContext, c: Classification | null) => {
    const proxyUrl = context.proxyInfo?.url;
    if (!proxyUrl || reported.has(context)) return;
    reported.add(context);
    const start = started.get(context);
    const latencyMs = start === undefined ? undefined : Math.round(performance.now() - start);
    if (c === null) pool.report(proxyUrl, { ok: true, latencyMs }, { target: context.request.url });
    else if (c.kind !== 'client') {
      pool.report(
        proxyUrl,
        { ok: false, kind: c.kind, status: c.status, retryAfterMs: c.retryAfterMs, latencyMs },
        { target: context.request.url },
      );
    }
  };

  const proxyConfiguration = new ProxyConfiguration({
    // Called for every request (with its URL), so bans and target health are per site.
    newUrlFunction: (_sessionId, opts) => pool.getProxy({ target: opts?.request?.url })?.toUrlWithCredentials() ?? null,
  });

  return {
    proxyConfiguration,
    preNavigationHook: (context) => {
      started.set(context, performance.now());
    },
    postNavigationHook: async (context) => {
      const response = context.response;
      if (!response) return;
      const headers = response.headers();
      const length = headers['content-length'];
      let c =
        classifyResponse({ status: response.status(), headers, bodyLength: length === undefined ? undefined : Number(length) }) ?? null;
      if (c === null) {
        const verdict = options.isBlocked
          ? await options.isBlocked(context)
          : detectBlockPage(await response.text().catch(() => undefined));
        if (verdict) c = { kind: 'blocked', evidence: typeof verdict === 'string' ? verdict : 'isBlocked' };
      }
      report(context, c);
      if (c && isRetryable(c.kind)) {
        throw new AttemptFailedError(c.kind as FailureKind, {
          status: c.status,
          message: `${context.request.url}: ${c.kind}${c.status ? ` (HTTP ${c.status})` : ''}`,
        });
      }
    },
    errorHandler: (context, error) => {
      // Errors after a reported navigation are the request handler's own, not the proxy's.
      report(context, classifyBrowserError(error));
    },
  };
}
