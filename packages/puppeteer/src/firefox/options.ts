import type { ProxyRoute } from '@proxy-pool/browser';

/**
 * The Firefox preference that sends `localhost` and 127.0.0.1 through the proxy: Firefox
 * bypasses the proxy for loopback whatever a context's proxy says, and only a preference set
 * at launch changes that (Chromium's `<-loopback>` bypass rule, which has no Firefox form).
 * Pass it as `extraPrefsFirefox` to `puppeteer.launch`; the adapter passes it to your `launch`
 * when `bypass` includes `'<-loopback>'`.
 */
export const FIREFOX_LOOPBACK_PREFS: Readonly<Record<string, boolean>> = Object.freeze({
  'network.proxy.allow_hijacking_localhost': true,
});

/** Chromium's special bypass rules, which have no meaning in a BiDi `noProxy` list. */
const CHROMIUM_ONLY_RULES = new Set(['<-loopback>', '<local>']);

/** Whether the bypass rules ask for loopback through the proxy. */
export function wantsLoopback(bypass: readonly string[] | undefined): boolean {
  return bypass?.includes('<-loopback>') ?? false;
}

/** The bypass rules as WebDriver BiDi's `noProxy` takes them (host names and addresses), without Chromium's own. */
export function bidiBypass(bypass: readonly string[] | undefined): string[] | undefined {
  const rules = bypass?.filter((rule) => !CHROMIUM_ONLY_RULES.has(rule));
  return rules && rules.length > 0 ? rules : undefined;
}

/** A route's server as WebDriver BiDi takes a context's proxy: `host:port`, no scheme (`http://h:p` is refused). */
export function bidiServer(route: Pick<ProxyRoute, 'server'>): string {
  return route.server.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
}
