/**
 * How a farm gateway reads the session token out of the proxy credentials, as providers do.
 * - `username` (Oxylabs-like): username `customer-<account>[-cc-DE]-sessid-<token>[-sesstime-10]`,
 *   password `<password>`; no `sessid` means a new exit for every request (rotating).
 * - `password` (IPRoyal-like): username `<account>`, password
 *   `<password>[_country-br]_session-<token>[_lifetime-10m]`; no `_session-` means rotating.
 * - a RegExp matched against `username:password` with named groups `account`, `password` and
 *   (optional) `token`, for any other grammar (`/^brd-customer-(?<account>\w+)-zone-res-session-(?<token>[a-z0-9]+):(?<password>.*)$/`).
 * Tokens are letters and digits only (Bright Data refuses a `-` in a session id); anything
 * else does not parse, and the gateway answers 407 as providers do to a bad username.
 */
export type GatewayGrammar = 'username' | 'password' | RegExp;

export interface GatewayCredentials {
  account: string;
  password: string;
  /** The session token; undefined for a rotating (per-request) exit. */
  token: string | undefined;
}

const TOKEN = /^[A-Za-z0-9]+$/;

/** Reads `Proxy-Authorization: Basic …`; undefined when it is missing or not Basic. */
export function basicCredentials(header: string | undefined): { username: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** `key-value` parts (`country-br`, `session-abc`) as a map; undefined when one is not a pair. */
function pairs(parts: readonly string[]): Map<string, string> | undefined {
  const out = new Map<string, string>();
  for (const part of parts) {
    const dash = part.indexOf('-');
    if (dash <= 0) return undefined;
    out.set(part.slice(0, dash), part.slice(dash + 1));
  }
  return out;
}

/** Parses credentials by `grammar`; undefined when they do not follow it. */
export function parseGatewayCredentials(grammar: GatewayGrammar, username: string, password: string): GatewayCredentials | undefined {
  let parsed: GatewayCredentials | undefined;
  if (grammar instanceof RegExp) {
    const groups = grammar.exec(`${username}:${password}`)?.groups;
    if (!groups?.account || groups.password === undefined) return undefined;
    parsed = { account: groups.account, password: groups.password, token: groups.token };
  } else if (grammar === 'username') {
    const parts = username.split('-');
    if (parts[0] !== 'customer' || !parts[1]) return undefined;
    const params = new Map<string, string>();
    for (let i = 2; i < parts.length; i += 2) {
      const key = parts[i];
      const value = parts[i + 1];
      if (!key || !value) return undefined;
      params.set(key, value);
    }
    parsed = { account: parts[1], password, token: params.get('sessid') };
  } else {
    const [secret = '', ...rest] = password.split('_');
    const params = pairs(rest);
    if (!params) return undefined;
    parsed = { account: username, password: secret, token: params.get('session') };
  }
  if (parsed.token !== undefined && !TOKEN.test(parsed.token)) return undefined;
  return parsed;
}

/** The credentials' URL form for `token` (`{session}` for a pool's gateway input), not percent-encoded. */
export function gatewayUserinfo(grammar: GatewayGrammar, account: string, password: string, token: string): string {
  if (grammar === 'password') return `${account}:${password}_session-${token}_lifetime-10m`;
  if (grammar === 'username') return `customer-${account}-sessid-${token}:${password}`;
  throw new TypeError('FarmGateway: a gateway with a RegExp grammar has no URL form; write the credentials yourself');
}
