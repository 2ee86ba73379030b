import { AttemptFailedError, type Classification, type Lease, type Proxy, type ProxyPool, UnsupportedProxyError } from '@proxy-pool/core';
import { type BrowserSession, type SessionTaskContext, runInSessions } from './attempt-runner.js';
import type { NavigationTracker } from './navigation-tracker.js';
import { AdaptiveTimeout } from './adaptive-timeout.js';
import { needsPreflight, preflight } from './preflight.js';
import { LearnedOrigins } from './learned-origins.js';
import { preflightOrigin } from './preflight-origin.js';
import { type ProxyRoute, RelayManager } from './relay/relay-manager.js';
import { type WaitOptions, checkWaitOptions, withWaiting } from './waiting.js';

export interface PooledBrowserBaseOptions {
  /**
   * A main-frame navigation with no answer after this long is reported as a `timeout`, and
   * `run()` sets it as its pages' navigation timeout. A hanging proxy costs this much per
   * attempt: keep it near what a good proxy needs. @default 15_000
   */
  navigationTimeoutMs?: number;
  /**
   * `per-context` (default): one browser, a proxy per context.
   * `launch-per-proxy`: a browser per lease, launched with the proxy (`--proxy-server`), for
   * setups that cannot set a proxy per context. Needs `launch`.
   */
  mode?: 'per-context' | 'launch-per-proxy';
  /**
   * Let `run()` keep the context (and page) of a job that went well, and give it to the next
   * job that leases the same proxy: a navigation in an open context costs a fraction of a new
   * context. Cookies and storage then carry over between jobs on one proxy (a sticky session);
   * a context whose job failed is always closed. @default false
   */
  reuseContexts?: boolean;
  /** The most contexts kept open for reuse, over all proxies (each holds a renderer process). @default 8 */
  maxIdleContexts?: number;
  /**
   * Before `run()` opens a new context on a proxy that has not worked lately (never used,
   * failing since its last success, or no success for a minute), check it with a socket first
   * (see `preflight`: a CONNECT to the target's host and port, which for an http target only
   * has to be answered; never a request to the target). A dead, refusing or hanging proxy then
   * costs a socket instead of a browser context, and its failure is reported like a failed
   * attempt's. The timeout
   * adapts to how long this pool's proxies take to answer a check (a smoothed duration plus
   * four mean deviations, as TCP's retransmission timeout), between `minTimeoutMs` (default
   * 1 s) and half the navigation timeout (at least 1 s), which is also what it is before the
   * first answer; a `timeoutMs` fixes it. `false` turns checks off. A failed check costs no
   * browser work, so it does not use up one of the job's `retries` (at most once per proxy
   * in the pool). @default true
   */
  preflight?: boolean | { timeoutMs?: number; minTimeoutMs?: number };
}

/** The options both adapters take; `S` is the library's response type, `P` its page type. */
export interface AdapterOptions<S, P> extends PooledBrowserBaseOptions {
  /** Your own classifier, asked first; return undefined to fall back to the adapter's. */
  classify?: (error: unknown) => Classification | undefined;
  /** Decides whether a 2xx main-frame response is a block page (captcha, "access denied"…): return true or a reason. */
  isBlocked?: (response: S, page: P) => Promise<boolean | string | undefined> | boolean | string | undefined;
  /** Read small 2xx documents to spot block pages with the default detector. @default true */
  detectBlocks?: boolean;
}

export interface OpenedContext<B, C> {
  context: C;
  tracker: NavigationTracker<object, object, object>;
  /** A browser launched for this context alone (launch-per-proxy mode), closed with it. */
  ownBrowser?: B | undefined;
}

/** Which proxy `newContext` leases, and how long it waits for one (as `pool.acquire`). */
export interface ContextLeaseOptions extends WaitOptions {
  /** The URL (or host) the context will work on: bans are per target. */
  target?: string | URL | undefined;
  exclude?: Iterable<Proxy | string> | undefined;
  signal?: AbortSignal | undefined;
}

/** `run()`'s options; `wait`, `maxWaitMs` and `sticky` go to every attempt's acquire. */
export interface BaseRunOptions<O> extends WaitOptions {
  target?: string | URL;
  retries?: number;
  signal?: AbortSignal;
  deadlineMs?: number;
  /** Options for each attempt's context (the proxy is set for you). */
  contextOptions?: O;
}

/**
 * What the Playwright and Puppeteer adapters share: leasing a proxy per context, ending the
 * lease when the context closes, refusing SOCKS credentials Chromium cannot use, relaunching
 * a crashed browser with backoff, and `run()` on core's retry. Subclasses only translate:
 * proxy → context, and the library's events → the navigation tracker.
 */
export abstract class PooledBrowserBase<B, C, P, O> {
  readonly pool: ProxyPool;
  protected readonly navigationTimeoutMs: number;
  protected readonly mode: 'per-context' | 'launch-per-proxy';
  #browser: B | undefined;
  #relaunching: Promise<B> | undefined;
  #relaunches = 0;
  readonly #contexts = new Set<C>();
  readonly #reuse: boolean;
  readonly #maxIdle: number;
  /** The pre-flight timeout (fixed or learned), or undefined when pre-flight checks are off. */
  readonly #preflightTimeout: AdaptiveTimeout | number | undefined;
  /** Where jobs for each target navigated: what their pre-flight checks look at. */
  readonly #origins = new LearnedOrigins();
  /** Local relays for the proxies Chromium cannot talk to itself (SOCKS with credentials). */
  readonly #relays: RelayManager;
  /** Parked sessions, oldest first, with the proxy they belong to. */
  readonly #idle: Array<{ proxyId: string; session: BrowserSession<C, P>; close: () => Promise<void> }> = [];

  protected constructor(browser: B | undefined, pool: ProxyPool, options: PooledBrowserBaseOptions, canLaunch: boolean) {
    this.mode = options.mode ?? 'per-context';
    if ((this.mode === 'launch-per-proxy' || !browser) && !canLaunch) {
      throw new TypeError('Expected a `launch` option: launch-per-proxy mode (or no browser) needs a way to start browsers.');
    }
    const navigationTimeoutMs = options.navigationTimeoutMs ?? 15_000;
    if (!(navigationTimeoutMs > 0)) throw new RangeError(`Expected \`navigationTimeoutMs\` to be > 0, got ${navigationTimeoutMs}.`);
    this.pool = pool;
    this.navigationTimeoutMs = navigationTimeoutMs;
    this.#browser = browser;
    this.#reuse = options.reuseContexts ?? false;
    this.#maxIdle = options.maxIdleContexts ?? 8;
    this.#preflightTimeout = preflightTimeout(options.preflight ?? true, navigationTimeoutMs);
    this.#relays = new RelayManager(pool, {
      checkTimeoutMs: Math.min(5_000, navigationTimeoutMs),
      memoryMs: navigationTimeoutMs + 5_000,
    });
  }

  // ── what a subclass provides ──
  /**
   * Opens a context that talks to the proxy as `route` says: the proxy's own server and
   * credentials, or a local relay without credentials (SOCKS with credentials), whose answers
   * `route.refineStatus`/`route.refineError` read back into the upstream's failure kinds.
   * Everything reported is the proxy's (`proxy`), never the relay's.
   */
  protected abstract openContext(
    browser: B | undefined,
    proxy: Proxy,
    options: O | undefined,
    route: ProxyRoute,
  ): Promise<OpenedContext<B, C>>;
  protected abstract launchBrowser(proxy: Proxy | undefined): Promise<B>;
  protected abstract isConnected(browser: B): boolean;
  protected abstract onContextClosed(context: C, listener: () => void): void;
  protected abstract closeContext(context: C): Promise<void>;
  protected abstract closeBrowser(browser: B): Promise<void>;
  protected abstract newPage(context: C): Promise<P>;
  protected abstract classifyError(error: unknown): Classification | undefined;

  /** The current browser (it changes after a relaunch). */
  get browser(): B | undefined {
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
  async newContext(contextOptions?: O, options: ContextLeaseOptions = {}): Promise<C> {
    checkWaitOptions(options, 'newContext()');
    const { target, exclude, signal } = options;
    const lease = await this.pool.acquire(withWaiting({ target, exclude, signal }, options));
    try {
      return (await this.#open(lease, contextOptions, target)).context;
    } catch (error) {
      const c = this.classify(error);
      if (c.kind === 'client') lease.release();
      else lease.failure({ kind: c.kind });
      throw error;
    }
  }

  async #open(lease: Lease, contextOptions: O | undefined, target: string | URL | undefined): Promise<BrowserSession<C, P | undefined>> {
    const { proxy } = lease;
    // Chromium cannot authenticate to SOCKS proxies: those with credentials go through a local relay.
    const route = await this.#relays.routeFor(proxy, target);
    const browser = this.mode === 'launch-per-proxy' ? undefined : await this.#liveBrowser();
    const { context, tracker, ownBrowser } = await this.openContext(browser, proxy, contextOptions, route);
    this.#contexts.add(context);
    let ended: Promise<void> | undefined;
    const end = () => {
      ended ??= (async () => {
        tracker.close();
        await tracker.idle();
        this.#contexts.delete(context);
        lease.release(); // the navigations told the pool what it needed; the lease just ends
        if (ownBrowser) await this.closeBrowser(ownBrowser).catch(() => undefined);
      })();
      return ended;
    };
    this.onContextClosed(context, () => void end());
    const close = async () => {
      await this.closeContext(context).catch(() => undefined);
      await end();
    };
    return { context, page: undefined, tracker, close };
  }

  /**
   * Runs `task` with a fresh context and page on a leased proxy; on a failure worth another
   * proxy, again on a rotated one, with the pool's backoff in between (core's
   * `executeWithRetry`). The context is always closed, whatever happens. A task that returns
   * after a navigation that was blocked, or answered by the proxy itself, has not succeeded:
   * the attempt fails with that navigation's kind and is retried.
   */
  run<T>(task: (context: SessionTaskContext<C, P>) => Promise<T>, options: BaseRunOptions<O> = {}): Promise<T> {
    const adapter = {
      open: async (lease: Lease): Promise<BrowserSession<C, P>> => {
        const parked = this.#unpark(lease.proxy.id);
        if (parked) return parked;
        await this.#preflight(lease.proxy, options.target);
        const session = await this.#open(lease, options.contextOptions, options.target);
        try {
          session.page = await this.newPage(session.context);
        } catch (error) {
          await session.close();
          throw error;
        }
        return this.#reuse ? this.#reusable(lease.proxy.id, session as BrowserSession<C, P>) : (session as BrowserSession<C, P>);
      },
      classify: (error: unknown) => this.classify(error),
      navigated: (url: string) => this.#origins.navigated(options.target, url),
    };
    return runInSessions(this.pool, adapter, task, options);
  }

  /** Throws the failure as an attempt's when a proxy that has not worked lately fails its pre-flight check. */
  async #preflight(proxy: Proxy, target: string | URL | undefined): Promise<void> {
    const timeout = this.#preflightTimeout;
    if (timeout === undefined || !needsPreflight(this.pool, proxy)) return;
    const startedAt = Date.now();
    // Where this target's jobs went, once one has navigated; until then what the target names.
    const learned = this.#origins.get(target);
    let failure = await preflight(proxy, learned ?? preflightOrigin(target), typeof timeout === 'number' ? timeout : timeout.ms);
    const tookMs = Date.now() - startedAt;
    // The proxy answered but could not reach an origin only guessed from the target (its pages
    // may be on another port or scheme): no evidence against the proxy. The navigation will say.
    if (failure?.kind === 'tunnel_failed' && !learned) failure = undefined;
    if (!failure && typeof timeout !== 'number' && !timeout.accept(tookMs)) {
      failure = { kind: 'timeout', evidence: `it answered in ${tookMs} ms, over the ${timeout.ms} ms this pool's proxies take` };
    }
    if (failure) {
      throw new AttemptFailedError(failure.kind, {
        status: failure.status,
        // It cost a socket, not a page: it does not use up one of the job's retries (in the goodput
        // benchmark a page drew four bad proxies in a row and was lost when it did).
        consumesRetry: false,
        message: `${proxy.id} failed its pre-flight check: ${failure.evidence ?? failure.kind}`,
      });
    }
  }

  /** Wraps a session so that closing it after a good job parks it for the next job on the same proxy. */
  #reusable(proxyId: string, session: BrowserSession<C, P>): BrowserSession<C, P> {
    const reallyClose = () => session.close();
    return {
      ...session,
      close: async (reusable?: boolean) => {
        const browser = this.#browser;
        const alive = this.mode === 'launch-per-proxy' || (browser !== undefined && this.isConnected(browser));
        if (!reusable || !alive || this.pool.closed || !this.pool.has(proxyId)) return reallyClose();
        this.#idle.push({ proxyId, session, close: reallyClose });
        while (this.#idle.length > this.#maxIdle) await this.#idle.shift()!.close();
      },
    };
  }

  #unpark(proxyId: string): BrowserSession<C, P> | undefined {
    const index = this.#idle.findLastIndex((p) => p.proxyId === proxyId);
    if (index === -1) return undefined;
    const [parked] = this.#idle.splice(index, 1);
    return this.#reusable(proxyId, parked!.session);
  }

  /** Whatever the attempt threw, as a kind: crashed browsers and unusable proxies first, then the library's classifier. */
  protected classify(error: unknown): Classification {
    if (error instanceof UnsupportedProxyError) return { kind: 'proxy_auth', evidence: error.message };
    if (this.#browser && !this.isConnected(this.#browser)) return { kind: 'client', retry: true, evidence: 'the browser disconnected' };
    return this.classifyError(error) ?? { kind: 'unknown' };
  }

  /** The browser, relaunched (with backoff) when it crashed or disconnected. */
  async #liveBrowser(): Promise<B> {
    if (this.#browser && this.isConnected(this.#browser)) return this.#browser;
    this.#relaunching ??= (async () => {
      if (this.#relaunches > 0) await this.pool.options.clock.sleep(Math.min(30_000, 500 * 2 ** (this.#relaunches - 1)));
      this.#relaunches++;
      const browser = await this.launchBrowser(undefined);
      this.#browser = browser;
      return browser;
    })().finally(() => {
      this.#relaunching = undefined;
    });
    return this.#relaunching;
  }

  /** Closes every context it opened (and browsers it launched for them) and its relays. The pool stays open. */
  async close(): Promise<void> {
    const parked = this.#idle.splice(0);
    await Promise.all(parked.map((p) => p.close()));
    await Promise.all([...this.#contexts].map((context) => this.closeContext(context).catch(() => undefined)));
    await this.#relays.close();
  }

  /**
   * The local relays running now, one per SOCKS proxy with credentials in use: the proxy's id
   * and the relay's `http://127.0.0.1:<port>` (no credentials: it holds them).
   */
  get relays(): Array<{ proxyId: string; server: string }> {
    return this.#relays.running;
  }
}

/** RFC 6298's lower bound on a retransmission timeout: below it, a slow good answer is too likely. */
const PREFLIGHT_MIN_TIMEOUT_MS = 1_000;

function preflightTimeout(
  option: boolean | { timeoutMs?: number; minTimeoutMs?: number },
  navigationTimeoutMs: number,
): AdaptiveTimeout | number | undefined {
  if (option === false) return undefined;
  const fixed = option === true ? undefined : option.timeoutMs;
  if (fixed !== undefined) {
    if (!(fixed > 0)) throw new RangeError(`Expected \`preflight.timeoutMs\` to be > 0, got ${fixed}.`);
    return fixed;
  }
  const max = Math.max(1_000, navigationTimeoutMs / 2);
  const min = (option === true ? undefined : option.minTimeoutMs) ?? PREFLIGHT_MIN_TIMEOUT_MS;
  if (!(min > 0)) throw new RangeError(`Expected \`preflight.minTimeoutMs\` to be > 0, got ${min}.`);
  return new AdaptiveTimeout(Math.min(min, max), max);
}
