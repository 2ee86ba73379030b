import { classifyBrowserError } from '@proxy-pool/browser';
import {
  AttemptFailedError,
  type Classification,
  type FailureKind,
  type Lease,
  type Outcome,
  type ProxyPool,
  isRetryable,
} from '@proxy-pool/core';
import { ProxyConfiguration } from '@crawlee/core';
import { MainFrameResponse, type ResponsePage } from './main-frame-response.js';
import { type BlockVerdict, type ResponseLike, classifyNavigation, classifyStatus } from './navigation-outcome.js';
import { type PageKey, PageLeases } from './page-leases.js';
import { PreflightGate, type PreflightGateOptions } from './preflight-gate.js';

/** Crawlee's SessionPool event for a session it retired (`EVENT_SESSION_RETIRED` in @crawlee/core). */
const SESSION_RETIRED = 'sessionRetired';
/**
 * How often the bridge looks for sessions Crawlee dropped without the event: its SessionPool
 * throws away expired and used-up sessions silently (only `retire()` emits `sessionRetired`).
 */
const SWEEP_EVERY_MS = 1_000;

/** The parts of a Crawlee session the bridge reads. */
interface SessionLike {
  id: string;
  isUsable(): boolean;
  retire?(): void;
  /** Crawlee's own rule: retires the session when the status is one of its `blockedStatusCodes` (the user's, if set). */
  retireOnBlockedStatusCodes?(status: number): boolean;
}

/** Crawlee's SessionPool, as a session knows it (a private field in Crawlee's types, public at run time). */
type SessionEvents = { on(event: string, listener: (session: { id: string }) => void): unknown };

/** The parts of a Crawlee crawling context the bridge reads (Playwright's and Puppeteer's alike). */
interface NavigationContext {
  request: PageKey & { url: string };
  session?: SessionLike | undefined;
  proxyInfo?: { url: string } | undefined;
  response?: ResponseLike | null | undefined;
  /** Playwright's `Page` and Puppeteer's `Page` are both event emitters (`close`, `response`). */
  page?: (ResponsePage & { once?(event: 'close', listener: () => void): unknown }) | undefined;
}

export interface CrawleeBridgeOptions {
  /** Decide that a 2xx page is a block page; the default reads small HTML documents for captcha / "access denied" text. */
  isBlocked?: (context: NavigationContext) => Promise<BlockVerdict> | BlockVerdict;
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
  /**
   * How long `newUrl` waits for a proxy when none is usable now (every one at `limits.maxInFlight`,
   * spaced by `minIntervalMs`, its breaker open or banned by the site) before the attempt fails
   * with `NoProxyAvailableError`. Keep it under Crawlee's request handler timeout. @default the pool's `maxWaitMs` (60 s)
   */
  maxWaitMs?: number;
}

export interface CrawleeBridge {
  /** Give it to the crawler: every page gets a proxy the pool chose for its URL, on a lease held until the page's outcome is reported. */
  proxyConfiguration: ProxyConfiguration;
  /** Add to the crawler's `preNavigationHooks`: times each navigation, and follows Crawlee's session retirements. */
  preNavigationHook: (context: NavigationContext) => void;
  /** Add to the crawler's `postNavigationHooks`: reports the navigation, and fails it when the page is a block or proxy error page, so Crawlee retries it on another proxy. */
  postNavigationHook: (context: NavigationContext) => Promise<void>;
  /** Use as (or call from) the crawler's `errorHandler`: reports a failed navigation that Crawlee will retry. */
  errorHandler: (context: NavigationContext, error: Error) => void;
  /** Use as (or call from) the crawler's `failedRequestHandler`: reports the last attempt of a request that failed for good. */
  failedRequestHandler: (context: NavigationContext, error: Error) => void;
  /** Pages holding a pool lease now (between `newUrl` and their outcome). */
  readonly pagesInFlight: number;
}

/**
 * Per-proxy health for Crawlee. Crawlee scores sessions, not proxies, and keeps handing a dead
 * proxy's URL to new sessions; with the bridge, each page's proxy comes from the pool, on a
 * lease (see PageLeases), and each navigation's outcome goes back to it (breakers, bans,
 * target health included).
 *
 *   const bridge = crawleeBridge(pool);
 *   new PlaywrightCrawler({
 *     proxyConfiguration: bridge.proxyConfiguration,
 *     preNavigationHooks: [bridge.preNavigationHook],
 *     postNavigationHooks: [bridge.postNavigationHook],
 *     errorHandler: bridge.errorHandler,
 *     failedRequestHandler: bridge.failedRequestHandler,
 *     launchContext: { useIncognitoPages: true },   // a proxy per page, not per browser
 *     …
 *   });
 */
export function crawleeBridge(pool: ProxyPool, options: CrawleeBridgeOptions = {}): CrawleeBridge {
  const useSticky = options.sticky ?? true;
  const gate = options.preflight === false ? undefined : new PreflightGate(pool, options.preflight === true ? {} : options.preflight);
  const leases = new PageLeases(pool, gate, { sticky: useSticky, maxWaitMs: options.maxWaitMs });
  /** When each attempt's navigation began. */
  const started = new WeakMap<object, number>();
  /** Each navigating attempt's lease; null for a page on its browser's own proxy (no `useIncognitoPages`): reported by URL. */
  const leaseOf = new WeakMap<object, Lease | null>();
  const reportedByUrl = new WeakSet<object>();
  /** Each navigating attempt's main-frame response, for a navigation that throws (see MainFrameResponse). */
  const responses = new WeakMap<object, MainFrameResponse>();
  const watched = new WeakSet<object>();
  /** The sessions whose ids are sticky keys now, until they stop being usable. */
  const seen = new Map<string, SessionLike>();
  let sweptAt = Number.NEGATIVE_INFINITY;

  const proxyConfiguration = new ProxyConfiguration({
    // Called for every page (with its request, so bans and target health are per site), and at a
    // browser's launch (without one: that proxy only serves pages opened without their own).
    newUrlFunction: async (sessionId, opts) => {
      const request = opts?.request as PageKey | undefined;
      const lease = await leases.take(request, opts?.request?.url, sessionId === undefined ? undefined : String(sessionId));
      // Never null: Crawlee would then navigate without a proxy, from this machine's own address
      // (take() throws NoProxyAvailableError, or the last pre-flight failure, instead).
      if (!request) lease.release();
      return lease.proxy.toUrlWithCredentials();
    },
  });

  /** What `c` says about the attempt's proxy, ending its lease: null a success, undefined nothing (released). */
  const report = (context: NavigationContext, c: Classification | null | undefined) => {
    responses.get(context)?.stop();
    const start = started.get(context);
    const latencyMs = start === undefined ? undefined : Math.round(performance.now() - start);
    const outcome: Outcome | undefined =
      c === undefined || c?.kind === 'client'
        ? undefined
        : c === null
          ? { ok: true, latencyMs }
          : { ok: false, kind: c.kind, status: c.status, retryAfterMs: c.retryAfterMs, latencyMs };
    const lease = leaseOf.get(context);
    if (lease === undefined) {
      // The attempt never navigated: it failed in newUrl or opening its page (the browser's doing, not the proxy's).
      leases.cancel(context.request);
    } else if (lease !== null) {
      // Errors after the outcome was reported are the request handler's own, not the proxy's: the lease has ended.
      leases.end(context.request, outcome);
    } else if (context.proxyInfo?.url && outcome && !reportedByUrl.has(context)) {
      reportedByUrl.add(context);
      pool.report(context.proxyInfo.url, outcome, { target: context.request.url });
    }
  };

  /** A session Crawlee is done with: its sticky key is forgotten, and a gateway session it had is retired. */
  const drop = (id: string) => {
    seen.delete(id);
    leases.forget(id);
  };

  /**
   * Follows Crawlee's sessions: one it retires (the event), and, at most once a second, those
   * it dropped silently (expired, used up), which would otherwise keep their members' sticky
   * keys, and a gateway's session, for as long as the pool lives.
   */
  const follow = (session: SessionLike | undefined) => {
    if (!useSticky || !session) return;
    seen.set(session.id, session);
    const sessions = (session as unknown as { sessionPool?: SessionEvents }).sessionPool;
    if (sessions && !watched.has(sessions)) {
      watched.add(sessions);
      sessions.on(SESSION_RETIRED, (retired) => drop(retired.id));
    }
    const now = pool.options.clock.now();
    if (now - sweptAt < SWEEP_EVERY_MS) return;
    sweptAt = now;
    for (const [id, known] of seen) if (!known.isUsable()) drop(id);
  };

  /**
   * What Crawlee would have done with the session after this failure, had it seen the response:
   * it retires a session on its blocked status codes, and one whose page is a block page
   * (`retryOnBlocked`) — but the bridge's hook fails the navigation first, so Crawlee only marks
   * the session bad and its retry comes back on the same sticky key, to a proxy whose 403 waits
   * for proof before the pool counts it (a banned proxy got a second page in bench:crawlee).
   * So the bridge asks Crawlee's own rule, and retires on a block page; a retired session's key
   * is forgotten, and a gateway session it had retired.
   */
  const afterFailure = (session: SessionLike | undefined, c: Classification) => {
    if (!session) return;
    if (c.status !== undefined && c.status >= 300 && session.retireOnBlockedStatusCodes) session.retireOnBlockedStatusCodes(c.status);
    else if (c.kind === 'blocked') session.retire?.();
    if (useSticky && !session.isUsable()) drop(session.id);
  };

  /** A failed attempt: what its navigation's response said, if one came (a proxy's own error page), else the error. */
  const failed = (context: NavigationContext, error: Error) => {
    const response = responses.get(context)?.last;
    const c = (response && classifyStatus(response)) ?? classifyBrowserError(error);
    report(context, c);
    if (c) afterFailure(context.session, c);
  };

  return {
    proxyConfiguration,
    preNavigationHook: (context) => {
      follow(context.session);
      started.set(context, performance.now());
      const lease = leases.leaseOf(context.request);
      leaseOf.set(context, lease ?? null);
      // However the attempt ends, its lease ends with its page at the latest (Crawlee closes every page it opened).
      if (lease) context.page?.once?.('close', () => leases.closed(context.request, lease));
      const watch = MainFrameResponse.watch(context.page);
      if (watch) responses.set(context, watch);
    },
    postNavigationHook: async (context) => {
      const response = context.response;
      if (!response) return report(context, undefined);
      const c = await classifyNavigation(response, options.isBlocked && (() => options.isBlocked!(context)));
      report(context, c);
      if (c) afterFailure(context.session, c);
      if (c && isRetryable(c.kind)) {
        throw new AttemptFailedError(c.kind as FailureKind, {
          status: c.status,
          message: `${context.request.url}: ${c.kind}${c.status ? ` (HTTP ${c.status})` : ''}`,
        });
      }
    },
    errorHandler: failed,
    failedRequestHandler: failed,
    get pagesInFlight() {
      return leases.open;
    },
  };
}
