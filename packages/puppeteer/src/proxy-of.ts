import type { Proxy } from '@proxy-pool/core';
import type { BrowserContext } from 'puppeteer-core';

const proxies = new WeakMap<BrowserContext, Proxy>();

/** @internal */
export function rememberProxy(context: BrowserContext, proxy: Proxy): void {
  proxies.set(context, proxy);
}

/** The proxy a context was opened with by a pooled browser; undefined for other contexts. */
export function proxyOf(context: BrowserContext): Proxy | undefined {
  return proxies.get(context);
}
