import { classifyBrowserError, detectBlockPage } from '@proxy-pool/browser';
import {
  AttemptFailedError,
  type Classification,
  type FailureKind,
  NoProxyAvailableError,
  type Proxy,
  type ProxyPool,
  classifyResponse,
  isRetryable,
} from '@proxy-pool/core';
import { ProxyConfiguration } from '@crawlee/core';
import { PreflightGate, type PreflightGateOptions } from './preflight-gate.js';

/** Crawlee's SessionPool event for a session it retired (`EVENT_SESSION_RETIRED` in @crawlee/core). */
const SESSION_RETIRED = 'sessionRetired';
/** Proxies checked for one URL at most before the bridge gives up on finding one that answers. */
const MAX_CHECKS = 5;

/** The parts of a Crawlee session the bridge reads. */
interface SessionLike {
  id: string;
  isUsable(): boolean;
}

/** Crawlee's SessionPool, as a session knows it (a private field in Crawlee's types, public at run time). */
type SessionEvents = { on(event: string, listener: (session: { id: string }) => void): unknown };

/** The parts of a Crawlee crawling context the bridge reads (Playwright's and Puppeteer's alike). */
interface NavigationContext {
  request: { url: string };
  session?: SessionLike | undefined;
  proxyInfo?: { url: string } | undefined;
  response?: { status(): number; headers(): Record<string, string>; text(): Promise<string> } | null | undefined;
}

export interface CrawleeBridgeOptions {
  /** Decide that a 2xx page is a block page; the default reads small HTML documents for captcha / "access denied" text. */
  isBlocked?: (context: NavigationContext) => Promise<boolean | string | undefined> | boolean | string | undefined;
  /**
   * Use Crawlee's session id as the pool's `sticky` key: one Crawlee session stays on one pool
   * member (a fixed proxy or a gateway session) while it is usable, and when Crawlee retires the
   * session the key is forgotten and a gateway session it had is retired too. @default true
   */
  sticky?: boolean;
  /**
   * Before `newUrl` hands out a proxy that has not worked lately, check it with a socket (the
   * adapters' pre-flight check, with a learned timeout); one that fails is reported and another
   * is checked, up to 5, without spending a page or one of Crawlee's retries. `false` turns it off.
   * @default true
   */
  preflight?: boolean | PreflightGateOptions;
}

export interface CrawleeBridge {
  /** Give it to the crawler: every request gets a proxy the pool chose for its URL. */
  proxyConfiguration: ProxyConfiguration;
  /** Add to the crawler's `preNavigationHooks`: times each navigation, and follows Crawlee's session retirements. */
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

  const useSticky = options.sticky ?? true;
  const gate = options.preflight === false ? undefined : new PreflightGate(pool, options.preflight === true ? {} : options.preflight);
  const watched = new WeakSet<object>();

  /** A proxy for `url`: the session's member, checked first when it has not worked lately. */
  const proxyFor = async (sessionId: string | undefined, url: string | undefined): Promise<Proxy> => {
    const sticky = useSticky && sessionId ? sessionId : undefined;
    const tried: string[] = [];
    let failure: Classification | undefined;
    for (let check = 0; check < MAX_CHECKS; check++) {
      const proxy = pool.getProxy({ target: url, sticky, exclude: tried });
      if (!proxy) break;
      if (!gate?.needs(proxy)) return proxy;
      failure = await gate.check(proxy, url);
      if (!failure) return proxy;
      pool.report(proxy, { ok: false, kind: failure.kind, status: failure.status }, { target: url });
      tried.push(proxy.id);
      // The key's member failed before the session used it: it chooses again (and drops a gateway session).
      if (sticky) pool.forgetSticky(sticky, { retire: true });
    }
    if (failure) {
      throw new AttemptFailedError(failure.kind as FailureKind, {
        status: failure.status,
        message: `${tried.length} proxies failed their pre-flight check for ${url ?? 'the request'}; last: ${failure.evidence ?? failure.kind}`,
      });
    }
    // Never null: Crawlee would then navigate without a proxy, from this machine's own address.
    throw new NoProxyAvailableError(`no proxy is usable${url ? ` for ${url}` : ''}.`, { target: url });
  };

  const proxyConfiguration = new ProxyConfiguration({
    // Called for every request (with its URL), so bans and target health are per site.
    newUrlFunction: async (sessionId, opts) =>
      (await proxyFor(sessionId === undefined ? undefined : String(sessionId), opts?.request?.url)).toUrlWithCredentials(),
  });

  /** Crawlee retired a session: its sticky key is forgotten, and a gateway session it had is retired. */
  const follow = (session: SessionLike | undefined) => {
    if (!useSticky || !session) return;
    const sessions = (session as unknown as { sessionPool?: SessionEvents }).sessionPool;
    if (sessions && !watched.has(sessions)) {
      watched.add(sessions);
      sessions.on(SESSION_RETIRED, (retired) => {
        if (!pool.closed) pool.forgetSticky(retired.id, { retire: true });
      });
    }
  };

  return {
    proxyConfiguration,
    preNavigationHook: (context) => {
      follow(context.session);
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
