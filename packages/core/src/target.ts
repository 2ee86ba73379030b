import { parse } from 'tldts';

/**
 * The key under which bans and target health are kept: the registrable domain of a URL
 * (`www.shop.example` and `api.shop.example` are one site to a ban), plus the port when it
 * is not the scheme's default. IP addresses and single-label hosts are kept as they are.
 * Accepts a URL, a bare host, or an already-made key; returns undefined for no target.
 */
export function targetKey(target: string | URL | undefined): string | undefined {
  if (target === undefined || target === '') return undefined;
  if (typeof target !== 'string') return computeKey(target);
  // Most calls name the same URL string as the one before (a crawl loop, a retry): compared by identity first.
  if (target === last.target) return last.key;
  // Parsing a URL and looking up the public-suffix list costs microseconds; a crawl asks
  // about the same few sites over and over (with different paths), so remember by authority.
  const authority = AUTHORITY.exec(target)?.[1] ?? target;
  let key = cache.get(authority);
  if (key === undefined) {
    key = computeKey(target);
    if (cache.size >= CACHE_SIZE) cache.clear();
    cache.set(authority, key);
  }
  last.target = target;
  last.key = key;
  return key;
}

/** `scheme://authority` up to the path; the scheme matters for default ports, so it stays in. */
const AUTHORITY = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]*)/i;

const CACHE_SIZE = 4_096;
const last: { target: string | undefined; key: string | undefined } = { target: undefined, key: undefined };
const cache = new Map<string, string>();

function computeKey(target: string | URL): string {
  const url = targetUrl(target);
  if (!url) return target.toString().toLowerCase();
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === '') return target.toString().toLowerCase();
  const info = parse(host, { allowPrivateDomains: true });
  const site = info.isIp ? host : (info.domain ?? host);
  return url.port ? `${site}:${url.port}` : site;
}

/** A target as a URL (a bare host is taken as `http://host`); undefined when it is not one. */
export function targetUrl(target: string | URL | undefined): URL | undefined {
  if (target === undefined || target instanceof URL) return target;
  try {
    return new URL(target.includes('://') ? target : `http://${target}`);
  } catch {
    return undefined;
  }
}
