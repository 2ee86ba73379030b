/**
 * Where a pre-flight check looks: the host and port the job's browser will connect to
 * through the proxy, and whether the tunnel itself must open there.
 */
export interface PreflightOrigin {
  /** A host name or an IP address (IPv6 without brackets). */
  host: string;
  port: number;
  /**
   * The page is https (or wss), so Chromium will ask the proxy for a tunnel to `host:port`:
   * the tunnel must open. False when Chromium will send a plain request (http), or when the
   * scheme is not known (a bare host): then only that the proxy answers counts.
   */
  tunnel: boolean;
}

const DEFAULT_PORTS: Record<string, { port: number; tunnel: boolean }> = {
  'https:': { port: 443, tunnel: true },
  'wss:': { port: 443, tunnel: true },
  'http:': { port: 80, tunnel: false },
  'ws:': { port: 80, tunnel: false },
};

/**
 * The origin a pre-flight check looks at, from what the job named (a URL, a URL string, or a
 * bare site such as `shop.example` or `shop.example:8443`) or, better, from a URL the job's
 * pages actually navigated to. A scheme gives the port (443 for https, 80 for http) and the
 * kind of check; an explicit port is kept. A bare site names no scheme: it is checked on its
 * port, or on 443 (where most sites are), and only for an answer from the proxy, so that a
 * site served on another port or scheme than guessed does not fail working proxies.
 * Undefined when there is nothing to check (no target, a scheme no proxy carries, not a URL).
 */
export function preflightOrigin(target: string | URL | undefined): PreflightOrigin | undefined {
  if (target === undefined || target === '') return undefined;
  const bare = typeof target === 'string' && !target.includes('://');
  let url: URL;
  try {
    url = typeof target === 'string' ? new URL(bare ? `http://${target}` : target) : target;
  } catch {
    return undefined;
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === '') return undefined;
  if (bare) return { host, port: Number(url.port) || 443, tunnel: false };
  const defaults = DEFAULT_PORTS[url.protocol];
  if (!defaults) return undefined;
  return { host, port: Number(url.port) || defaults.port, tunnel: defaults.tunnel };
}
