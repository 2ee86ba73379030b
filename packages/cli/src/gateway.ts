import { randomInt } from 'node:crypto';
import { Proxy } from '@proxy-pool/core';

/** The placeholder a gateway's username or password holds (see DESIGN.md, "Gateways and sessions"). */
export const SESSION_PLACEHOLDER = '{session}';

const SESSION_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A proxy whose username or password holds `{session}`: a rotating gateway, not one exit. */
export function isGateway(proxy: Proxy): boolean {
  return Boolean(proxy.username?.includes(SESSION_PLACEHOLDER) || proxy.password?.includes(SESSION_PLACEHOLDER));
}

/** A fresh session id: 8 lowercase letters and digits, which the strictest providers accept. */
export function newSessionId(random: (max: number) => number = randomInt): string {
  let id = '';
  for (let i = 0; i < 8; i++) id += SESSION_ALPHABET[random(SESSION_ALPHABET.length)];
  return id;
}

/** The gateway with `{session}` filled: one sticky exit of it. */
export function sessionOf(gateway: Proxy, sessionId: string): Proxy {
  const fill = (text: string | undefined) => text?.replaceAll(SESSION_PLACEHOLDER, sessionId);
  return new Proxy({
    protocol: gateway.protocol,
    host: gateway.host,
    port: gateway.port,
    username: fill(gateway.username),
    password: fill(gateway.password),
  });
}
