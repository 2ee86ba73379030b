import { parse } from 'tldts';

/**
 * The key under which bans and target health are kept: the registrable domain of a URL
 * (`www.shop.example` and `api.shop.example` are one site to a ban), plus the port when it
 * is not the scheme's default. IP addresses and single-label hosts are kept as they are.
 * Accepts a URL, a bare host, or an already-made key; returns undefined for no target.
 */
export function targetKey(target: string | URL | undefined): string | undefined {
  if (target === undefined || target === '') return undefined;
  let url: URL;
  try {
    url = typeof target === 'string' ? new URL(target.includes('://') ? target : `http://${target}`) : target;
  } catch {
    return target.toString().toLowerCase();
  }
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === '') return target.toString().toLowerCase();
  const info = parse(host, { allowPrivateDomains: true });
  const site = info.isIp ? host : (info.domain ?? host);
  return url.port ? `${site}:${url.port}` : site;
}
