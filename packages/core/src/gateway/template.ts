/**
 * Gateway templates: a proxy whose username or password holds `{session}` is a rotating
 * gateway — one provider host:port whose exit is picked by the session token written there.
 * Providers' grammars differ (`customer-acme-sessid-{session}`, `…-session-{session}`, a
 * password `pass_session-{session}_lifetime-10m`); the pool never parses them, it only fills
 * the placeholder. Pure functions: what a session's proxy is, and what a gateway is called.
 */
import { Proxy } from '../proxy.js';

export const SESSION_PLACEHOLDER = '{session}';

export function isGatewayTemplate(proxy: Proxy): boolean {
  return (proxy.username?.includes(SESSION_PLACEHOLDER) ?? false) || (proxy.password?.includes(SESSION_PLACEHOLDER) ?? false);
}

/** The gateway's id: the template's, with the placeholder shown as written (never the password). */
export function gatewayId(template: Proxy): string {
  return template.id.replaceAll(encodeURIComponent(SESSION_PLACEHOLDER), SESSION_PLACEHOLDER);
}

/** One sticky exit: the template with `{session}` replaced, its id `<gateway id>#<session id>`. */
export function sessionProxy(template: Proxy, gateway: string, session: string): Proxy {
  return new Proxy({
    protocol: template.protocol,
    host: template.host,
    port: template.port,
    username: template.username?.replaceAll(SESSION_PLACEHOLDER, session),
    password: template.password?.replaceAll(SESSION_PLACEHOLDER, session),
    id: `${gateway}#${session}`,
  });
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** 8 lowercase letters and digits: what the strictest providers accept (Bright Data refuses `-`, IPRoyal wants 8). */
export function randomSessionId(random: () => number): string {
  let id = '';
  for (let i = 0; i < 8; i++) id += ALPHABET[Math.floor(random() * ALPHABET.length)];
  return id;
}

/** A session id the user's function made must fit in a provider's credentials: letters, digits, `_`, `-` only. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
