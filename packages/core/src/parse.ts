import { ProxyParseError } from './errors.js';
import type { GatewayOptions, LimitOptions } from './options.js';
import { type ProxyProtocol, Proxy, type ServerForm } from './proxy.js';

/**
 * The object form: where the proxy is, and optionally what it may carry of its own — `limits`,
 * and for a rotating gateway (`{session}` in its username or password) its sessions' settings.
 * `bypass` (Playwright's proxy option) is accepted and ignored.
 */
export type ProxyObjectInput = ServerForm & GatewayOptions & { limits?: LimitOptions | undefined; bypass?: string | undefined };

/** What a pool accepts as a proxy: a string in any supported format, the `{ server, … }` form, or a `Proxy`. */
export type ProxyInput = string | ProxyObjectInput | Proxy;

const SCHEMES: Record<string, ProxyProtocol> = {
  http: 'http',
  https: 'https',
  socks: 'socks5',
  socks5: 'socks5',
  socks5h: 'socks5',
  socks4: 'socks4',
  socks4a: 'socks4',
};

// A host name: labels of letters, digits, '-', '_' separated by dots.
const HOSTNAME = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*\.?$/i;

interface Located {
  line?: number;
  source?: string;
}

/**
 * Masks whatever could be a password in text we are about to show in an error:
 * the part between `user:` and `@`, and every field after the fourth in `host:port:user:pass`.
 */
export function redactProxyInput(input: string): string {
  const text = input.trim();
  // `host:port user pass` (and other space-separated forms): only the first field and a user name are shown.
  const fields = text.split(/\s+/);
  if (fields.length > 1) {
    const rest = fields.length > 2 ? [fields[1]!, '***'] : ['***'];
    return [redactProxyInput(fields[0]!), ...rest].join(' ');
  }
  if (isProviderFormat(text)) {
    const { host, port, user } = splitProviderFormat(text);
    return `${host.includes(':') ? `[${host}]` : host}:${port}:${user}:***`;
  }
  const at = text.lastIndexOf('@');
  if (at !== -1) {
    const schemeEnd = text.indexOf('://');
    const userStart = schemeEnd === -1 ? 0 : schemeEnd + 3;
    const userInfo = text.slice(userStart, at);
    const colon = userInfo.indexOf(':');
    const user = colon === -1 ? userInfo : userInfo.slice(0, colon);
    const masked = colon === -1 ? user : `${user}:***`;
    return `${text.slice(0, userStart)}${masked}${text.slice(at)}`;
  }
  return text;
}

/** `host:port:user:pass`: at least four ':'-fields, the second a port number, no scheme, no brackets. */
function isProviderFormat(text: string): boolean {
  if (text.includes('://')) return false;
  if (text.startsWith('[')) return /^\[[^\]]*\]:\d+:[^:]*:/.test(text);
  const fields = text.split(':');
  return fields.length >= 4 && /^\d+$/.test(fields[1] ?? '');
}

/** Splits host:port:user:pass (host possibly [ipv6]); the password keeps any ':' it has. */
function splitProviderFormat(text: string): { host: string; port: string; user: string; pass: string } {
  let host: string;
  let rest: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    host = text.slice(1, close);
    rest = text.slice(close + 2);
  } else {
    const colon = text.indexOf(':');
    host = text.slice(0, colon);
    rest = text.slice(colon + 1);
  }
  const [port = '', user = '', ...pass] = rest.split(':');
  return { host, port, user, pass: pass.join(':') };
}

function fail(reason: string, input: string, where: Located): never {
  throw new ProxyParseError(reason, { ...where, input: redactProxyInput(input) });
}

function decode(part: string, what: string, input: string, where: Located): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return fail(`the ${what} has a malformed percent-encoding`, input, where);
  }
}

function parsePort(text: string | undefined, input: string, where: Located): number {
  if (text === undefined || text === '') fail('no port: write host:port, e.g. 10.0.0.1:8080', input, where);
  if (!/^\d+$/.test(text)) fail(`the port "${text}" is not a number`, input, where);
  const port = Number(text);
  if (port < 1 || port > 65535) fail(`the port ${port} is out of range (1-65535)`, input, where);
  return port;
}

function checkHost(host: string, input: string, where: Located): string {
  if (host === '') fail('no host', input, where);
  if (host.includes(':')) {
    // IPv6: Node's URL parser validates it for us.
    try {
      return new URL(`http://[${host}]/`).hostname.slice(1, -1);
    } catch {
      fail(`"${host}" is not a valid IPv6 address`, input, where);
    }
  }
  if (!HOSTNAME.test(host)) fail(`"${host}" is not a valid host name`, input, where);
  return host.toLowerCase().replace(/\.$/, '');
}

/** Splits `host:port` where host may be `[ipv6]`. Returns the rest after the port (for host:port:user:pass). */
function splitHostPort(text: string, input: string, where: Located): { host: string; port: string | undefined; rest: string[] } {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close === -1) fail('an IPv6 address is missing its closing "]"', input, where);
    const host = text.slice(1, close);
    const after = text.slice(close + 1);
    if (after === '') return { host, port: undefined, rest: [] };
    if (!after.startsWith(':')) fail('expected ":port" after the IPv6 address', input, where);
    const [port, ...rest] = after.slice(1).split(':');
    return { host, port, rest };
  }
  const [host = '', port, ...rest] = text.split(':');
  return { host, port, rest };
}

function build(
  fields: { protocol: ProxyProtocol; host: string; port: number; username?: string | undefined; password?: string | undefined },
  input: string,
  where: Located,
): Proxy {
  if (fields.protocol === 'socks4' && fields.password) {
    fail('SOCKS4 has no passwords (it only carries a user id): use socks5:// or drop the password', input, where);
  }
  if (fields.password && !fields.username) fail('a password was given without a username', input, where);
  return new Proxy(fields);
}

function parseString(raw: string, where: Located): Proxy {
  const input = raw.trim();
  if (input === '') fail('empty proxy', input, where);
  if (/\s/.test(input)) fail('a proxy cannot contain spaces', input, where);

  let protocol: ProxyProtocol = 'http';
  let rest = input;
  const schemeMatch = /^([a-z][a-z0-9+.-]*):\/\//i.exec(input);
  if (schemeMatch) {
    const scheme = schemeMatch[1]!.toLowerCase();
    const known = SCHEMES[scheme];
    if (!known) fail(`unknown scheme "${scheme}" (use http, https, socks4 or socks5)`, input, where);
    protocol = known;
    rest = input.slice(schemeMatch[0].length);
  }
  rest = rest.replace(/\/+$/, '');
  if (!(!schemeMatch && isProviderFormat(rest)) && (rest.includes('/') || rest.includes('?') || rest.includes('#'))) {
    fail('a proxy is host:port; it has no path, query or fragment', input, where);
  }

  let username: string | undefined;
  let password: string | undefined;
  if (!schemeMatch && isProviderFormat(rest)) {
    // host:port:user:pass, the format most proxy providers export. The password may contain ':' or '@'.
    const { host, port, user, pass } = splitProviderFormat(rest);
    username = decode(user, 'username', input, where);
    password = decode(pass, 'password', input, where);
    if (username === '') fail('the username in host:port:user:pass is empty', input, where);
    return build({ protocol, host: checkHost(host, input, where), port: parsePort(port, input, where), username, password }, input, where);
  }
  const at = rest.lastIndexOf('@');
  if (at !== -1) {
    const userInfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = userInfo.indexOf(':');
    username = decode(colon === -1 ? userInfo : userInfo.slice(0, colon), 'username', input, where);
    password = colon === -1 ? undefined : decode(userInfo.slice(colon + 1), 'password', input, where);
    if (username === '') fail('the username before "@" is empty', input, where);
  }

  const { host, port, rest: extra } = splitHostPort(rest, input, where);
  if (extra.length > 0) {
    fail(
      extra.length === 1 && at === -1 ? 'host:port:user needs a password too (host:port:user:pass)' : 'too many ":" after the port',
      input,
      where,
    );
  }
  return build({ protocol, host: checkHost(host, input, where), port: parsePort(port, input, where), username, password }, input, where);
}

/**
 * Parses one proxy. Accepts `scheme://user:pass@host:port` (http, https, socks4, socks5),
 * `host:port`, `user:pass@host:port`, `host:port:user:pass`, IPv6 in brackets,
 * percent-encoded credentials, the `{ server, username?, password? }` form, or a `Proxy`.
 * Throws `ProxyParseError`, which never contains the password.
 */
export function parseProxy(input: ProxyInput, where: Located = {}): Proxy {
  if (input instanceof Proxy) return input;
  if (typeof input === 'string') return parseString(input, where);
  if (input && typeof input === 'object' && typeof input.server === 'string') {
    const base = parseString(input.server, where);
    if (base.hasCredentials && (input.username !== undefined || input.password !== undefined)) {
      fail('credentials are given twice: in the server and as username/password', input.server, where);
    }
    if (base.hasCredentials) return base;
    return build(
      { protocol: base.protocol, host: base.host, port: base.port, username: input.username, password: input.password },
      input.server,
      where,
    );
  }
  throw new ProxyParseError(
    `expected a proxy string or { server, username?, password? }, got ${input === null ? 'null' : typeof input}`,
    where,
  );
}

function stripComment(line: string): string {
  // '#' starts a comment at the start of a line or after white space; elsewhere it may be part of a password.
  const match = /(^|\s)#/.exec(line);
  return match ? line.slice(0, match.index) : line;
}

/**
 * Parses a list: one proxy per line (or several separated by commas), `#` comments and
 * blank lines allowed. Duplicates (same id) are merged, the first one kept. Errors name
 * the line. An empty list is an error: a pool with no proxies is almost always a mistake.
 */
export function parseProxyList(text: string | readonly ProxyInput[], options: { source?: string; allowEmpty?: boolean } = {}): Proxy[] {
  const seen = new Map<string, Proxy>();
  const add = (proxy: Proxy) => {
    if (!seen.has(proxy.id)) seen.set(proxy.id, proxy);
  };
  if (typeof text === 'string') {
    const lines = text.split(/\r?\n/);
    for (const [index, rawLine] of lines.entries()) {
      const line = stripComment(rawLine).trim();
      if (line === '') continue;
      for (const item of line.split(',')) {
        if (item.trim() === '') continue;
        add(parseProxy(item, { line: index + 1, source: options.source }));
      }
    }
  } else if (Array.isArray(text)) {
    for (const [index, item] of text.entries()) add(parseProxy(item, { line: index + 1, source: options.source ?? 'the proxies array' }));
  } else {
    throw new ProxyParseError(`expected a string or an array of proxies, got ${typeof text}`);
  }
  if (seen.size === 0 && !options.allowEmpty) {
    throw new ProxyParseError(`no proxies found${options.source ? ` in ${options.source}` : ''}`);
  }
  return [...seen.values()];
}
